using System.Text;
using System.Text.Json;

namespace CityContact.Benchmarks.Telephony;

/// <summary>The frames a real Asterisk 22 sent in the recorded transcripts: the benchmarks parse what production parses.</summary>
internal static class RecordedFrames
{
    private static string Transcripts => Path.Combine(Repository.Root(), "tests", "fixtures", "asterisk", "transcripts");

    /// <summary>Every ARI WebSocket text frame of every transcript, as UTF-8.</summary>
    public static byte[][] AriEvents()
    {
        var frames = new List<byte[]>();
        foreach (var file in Directory.GetFiles(Transcripts, "ari-*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var step in document.RootElement.GetProperty("steps").EnumerateArray())
            {
                if (step.GetProperty("kind").GetString() == "event" && step.TryGetProperty("raw", out var raw) && raw.ValueKind == JsonValueKind.String)
                {
                    frames.Add(Encoding.UTF8.GetBytes(raw.GetString()!));
                }
            }
        }
        return [.. frames];
    }

    /// <summary>Every frame Asterisk sent on AMI in the transcripts (banner excluded), concatenated as on the wire.</summary>
    public static (byte[] Stream, int Frames) AmiStream()
    {
        var text = new StringBuilder();
        var count = 0;
        foreach (var file in Directory.GetFiles(Transcripts, "ami-*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var frame in document.RootElement.GetProperty("frames").EnumerateArray())
            {
                var body = frame.GetProperty("text").GetString() ?? "";
                if (frame.GetProperty("dir").GetString() == "in" && body.EndsWith("\r\n\r\n", StringComparison.Ordinal))
                {
                    text.Append(body);
                    count++;
                }
            }
        }
        return (Encoding.UTF8.GetBytes(text.ToString()), count);
    }
}
