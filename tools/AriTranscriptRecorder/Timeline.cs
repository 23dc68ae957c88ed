using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityContact.Tools.AriTranscriptRecorder;

/// <summary>
/// The scenario's clock and what happened on it: ARI steps (<c>steps[]</c> of an ari-*.json) and AMI frames
/// (<c>frames[]</c> of an ami-*.json), both stamped in seconds since the scenario started (INDEX.md, "File format").
/// Written from the WebSocket and AMI reader tasks and the scenario at once, hence the lock.
/// </summary>
internal sealed class Timeline
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly DateTime _startedAtLocal = DateTime.Now;
    private readonly Lock _gate = new();
    private readonly List<JsonObject> _steps = [];
    private readonly List<JsonObject> _frames = [];

    /// <summary>Seconds since the start, 4 decimals, as in the transcripts.</summary>
    public double Now => Math.Round(_watch.Elapsed.TotalSeconds, 4);

    /// <summary>A wall-clock time of this machine (SIPp and pjsua log local time) on the scenario's timebase.</summary>
    public double At(DateTime local) => Math.Round((local - _startedAtLocal).TotalSeconds, 4);

    public void Step(JsonObject step)
    {
        lock (_gate)
        {
            _steps.Add(step);
        }
    }

    public void Frame(JsonObject frame)
    {
        lock (_gate)
        {
            _frames.Add(frame);
        }
    }

    public static JsonObject Stimulus(double t, string text, string? source = null)
    {
        var step = new JsonObject { ["t"] = t, ["kind"] = "stimulus", ["text"] = text };
        if (source is not null)
        {
            step["source"] = source;
        }
        return step;
    }

    /// <summary>The ARI steps in time order (stable: steps of one instant keep the order they were taken in).</summary>
    public JsonArray SortedSteps()
    {
        lock (_gate)
        {
            return [.. _steps.OrderBy(s => s["t"]!.GetValue<double>()).Select(s => s.DeepClone())];
        }
    }

    public JsonArray SortedFrames()
    {
        lock (_gate)
        {
            return [.. _frames.OrderBy(s => s["t"]!.GetValue<double>()).Select(s => s.DeepClone())];
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(string path, JsonObject document, CancellationToken ct)
    {
        await File.WriteAllTextAsync(path, document.ToJsonString(Indented) + "\n", ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {path}"));
    }
}
