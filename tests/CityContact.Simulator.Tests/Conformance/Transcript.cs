using System.Text.Json;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>One recorded scenario: <c>tests/fixtures/asterisk/transcripts/ari-*.json</c> (format in INDEX.md, "File format").</summary>
public sealed record Transcript(string FileName, string Scenario, string Description, IReadOnlyList<TranscriptStep> Steps);

/// <summary>A step of a transcript; <see cref="Index"/> is its position in <c>steps[]</c>, <see cref="T"/> seconds since the scenario started.</summary>
public abstract record TranscriptStep(int Index, double T)
{
    /// <summary>How the step is named in a failure message: "step 12 (t=0.1281, response 201 POST /ari/channels/…/play)".</summary>
    public string Label => $"step {Index} (t={T.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}, {Summary})";

    protected abstract string Summary { get; }
}

/// <summary>A REST request, a WebSocket upgrade (<see cref="WebSocket"/> set) or a harness-side close (<see cref="IsClose"/>).</summary>
public sealed record RequestStep(
    int Index, double T, string Method, string Path, string QueryString, JsonElement? Body, string? WebSocket) : TranscriptStep(Index, T)
{
    public bool IsClose => Method == "CLOSE";

    protected override string Summary => WebSocket is null
        ? $"request {Method} {Path}{(QueryString.Length > 0 ? "?" + QueryString : "")}"
        : IsClose ? $"close of {WebSocket}" : $"WebSocket upgrade {WebSocket} {Path}?{QueryString}";
}

/// <summary>The answer to the previous request; <see cref="Json"/> is the parsed body when it is JSON.</summary>
public sealed record ResponseStep(
    int Index, double T, string Method, string Path, int Status, string? Reason,
    IReadOnlyDictionary<string, string> Headers, string? Body, JsonElement? Json,
    string? ContentType, long? BodyLength, string? WebSocket) : TranscriptStep(Index, T)
{
    protected override string Summary => $"response {Status} to {Method} {Path}";
}

/// <summary>A WebSocket frame from Asterisk: a text frame (<see cref="Event"/>) or a close frame.</summary>
public sealed record EventStep(int Index, double T, string WebSocket, bool IsClose, int? CloseCode, JsonElement? Event) : TranscriptStep(Index, T)
{
    public string? Type => Event?.GetProperty("type").GetString();

    protected override string Summary => IsClose ? $"close frame on {WebSocket}" : $"event {Type} on {WebSocket}";
}

/// <summary>What the SIP side did (<see cref="Source"/> "sipp-trace", "sipp-scenario") or a harness label (no source).</summary>
public sealed record StimulusStep(int Index, double T, string? Source, string Text, string? SipCallId, string? SipCSeq) : TranscriptStep(Index, T)
{
    protected override string Summary => $"stimulus \"{Text}\"";
}
