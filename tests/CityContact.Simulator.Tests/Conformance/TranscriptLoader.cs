using System.Text.Json;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>Reads the recorded transcripts from the repository's <c>tests/fixtures/asterisk/transcripts</c>.</summary>
public static class TranscriptLoader
{
    /// <summary>The transcripts folder, found by walking up from the test binaries to the directory holding CityContact.sln.</summary>
    public static string TranscriptsDirectory { get; } = FindTranscriptsDirectory();

    /// <summary>File names (not paths) of every ARI scenario, sorted.</summary>
    public static IReadOnlyList<string> AriScenarioFiles() =>
        [.. Directory.GetFiles(TranscriptsDirectory, "ari-*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    public static Transcript Load(string fileName)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(TranscriptsDirectory, fileName)));
        return Parse(fileName, document.RootElement);
    }

    public static Transcript Parse(string fileName, JsonElement root)
    {
        var steps = new List<TranscriptStep>();
        var index = 0;
        foreach (var step in root.GetProperty("steps").EnumerateArray())
        {
            steps.Add(ParseStep(index, step));
            index++;
        }
        var transcript = new Transcript(fileName, root.GetProperty("scenario").GetString()!, root.GetProperty("description").GetString()!, steps);
        return root.TryGetProperty("lab", out var lab) ? transcript with { Lab = ParseLab(lab) } : transcript;
    }

    private static TranscriptLab ParseLab(JsonElement lab)
    {
        var caller = lab.GetProperty("trunk_caller");
        return new TranscriptLab(
            lab.GetProperty("ari_user").GetString()!,
            lab.GetProperty("ari_password").GetString()!,
            lab.GetProperty("trunk_stasis_app_data").GetString()!,
            lab.GetProperty("trunk_dialplan_noop").GetBoolean(),
            lab.GetProperty("trunk_reachable").GetBoolean(),
            caller.GetProperty("name").GetString()!,
            caller.GetProperty("number").GetString()!,
            lab.GetProperty("phones").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal));
    }

    private static TranscriptStep ParseStep(int index, JsonElement step)
    {
        var t = step.GetProperty("t").GetDouble();
        var kind = step.GetProperty("kind").GetString();
        return kind switch
        {
            "request" => new RequestStep(
                index, t,
                step.GetProperty("method").GetString()!,
                step.GetProperty("path").GetString()!,
                String(step, "query_string") ?? "",
                Element(step, "body"),
                String(step, "ws")),
            "response" => new ResponseStep(
                index, t,
                step.GetProperty("method").GetString()!,
                step.GetProperty("path").GetString()!,
                step.GetProperty("status").GetInt32(),
                String(step, "reason"),
                step.TryGetProperty("headers", out var headers)
                    ? headers.EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString() ?? "", StringComparer.Ordinal)
                    : new Dictionary<string, string>(),
                String(step, "body"),
                Element(step, "json"),
                String(step, "content_type"),
                step.TryGetProperty("body_length", out var length) ? length.GetInt64() : null,
                String(step, "ws")),
            "event" => new EventStep(
                index, t,
                step.GetProperty("ws").GetString()!,
                String(step, "frame") == "close",
                step.TryGetProperty("close_code", out var code) ? code.GetInt32() : null,
                Element(step, "event")),
            "stimulus" => new StimulusStep(
                index, t,
                String(step, "source"),
                step.GetProperty("text").GetString()!,
                step.TryGetProperty("sip", out var sip) ? String(sip, "call_id") : null,
                step.TryGetProperty("sip", out var sip2) ? String(sip2, "cseq") : null),
            _ => throw new InvalidDataException($"step {index}: unknown kind '{kind}'"),
        };
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // Cloned so the element outlives the JsonDocument it was read from.
    private static JsonElement? Element(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.Clone() : null;

    private static string FindTranscriptsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CityContact.sln")))
            {
                return Path.Combine(dir.FullName, "tests", "fixtures", "asterisk", "transcripts");
            }
        }
        throw new DirectoryNotFoundException($"No CityContact.sln above {AppContext.BaseDirectory}: the transcripts cannot be located.");
    }
}
