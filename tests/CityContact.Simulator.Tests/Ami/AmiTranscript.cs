using System.Text.Json;
using CityContact.Telephony.Ami;

namespace CityContact.Simulator.Tests.Ami;

/// <summary>One frame of an ami-*.json transcript: <c>out</c> = sent by the client to Asterisk, <c>in</c> = sent by Asterisk.</summary>
public sealed record AmiTranscriptFrame(int Index, double T, string Connection, bool FromClient, string Text, bool IsEof)
{
    public AmiMessage? Message => Text.Length == 0 || !Text.Contains(':', StringComparison.Ordinal) ? null : AmiFrameDecoder.ParseFrame(Text);

    public string Label => $"frame #{Index} ({Connection} {(FromClient ? "out" : "in")} {Message?.EventName ?? Message?.ResponseStatus ?? Message?["Action"] ?? (IsEof ? "EOF" : Text.Trim())})";
}

public static class AmiTranscript
{
    public static IReadOnlyList<AmiTranscriptFrame> Load(string fileName)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory(), fileName)));
        return document.RootElement.GetProperty("frames").EnumerateArray()
            .Select((f, i) => new AmiTranscriptFrame(i, f.GetProperty("t").GetDouble(), f.GetProperty("conn").GetString()!,
                f.GetProperty("dir").GetString() == "out", f.GetProperty("text").GetString()!,
                f.TryGetProperty("eof", out var eof) && eof.GetBoolean()))
            .ToList();
    }

    private static string Directory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CityContact.sln")))
            {
                return Path.Combine(dir.FullName, "tests", "fixtures", "asterisk", "transcripts");
            }
        }
        throw new DirectoryNotFoundException("No CityContact.sln above the test binaries: the transcripts cannot be located.");
    }
}
