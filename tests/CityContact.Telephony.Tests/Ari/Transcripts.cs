using System.Text.Json;

namespace CityContact.Telephony.Tests.Ari;

/// <summary>The recordings of a real Asterisk 22.10.1 in tests/fixtures/asterisk/transcripts.</summary>
internal static class Transcripts
{
    public static string Directory { get; } = Find();

    public static IEnumerable<string> AriFiles() =>
        System.IO.Directory.GetFiles(Directory, "ari-*.json").Order(StringComparer.Ordinal);

    public static JsonElement[] Steps(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, file)));
        return document.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.Clone()).ToArray();
    }

    /// <summary>Every WebSocket text frame Asterisk sent: (file, type, raw).</summary>
    public static IEnumerable<(string File, string Type, string Raw)> EventFrames() =>
        from file in AriFiles()
        from step in Steps(Path.GetFileName(file))
        where step.GetProperty("kind").GetString() == "event" && step.TryGetProperty("raw", out _)
        select (Path.GetFileName(file), step.GetProperty("type").GetString()!, step.GetProperty("raw").GetString()!);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "asterisk", "transcripts");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("tests/fixtures/asterisk/transcripts not found above " + AppContext.BaseDirectory);
    }
}
