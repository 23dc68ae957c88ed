using System.Text.Json;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>One recorded scenario: <c>tests/fixtures/asterisk/transcripts/ari-*.json</c> (format in INDEX.md, "File format").</summary>
public sealed record Transcript(string FileName, string Scenario, string Description, IReadOnlyList<TranscriptStep> Steps)
{
    /// <summary>The Asterisk set-up the transcript was recorded with (its <c>lab</c> key; absent: the first lab of INDEX.md).</summary>
    public TranscriptLab Lab { get; init; } = TranscriptLab.First;
}

/// <summary>
/// What the simulator must be told to stand for the lab of a transcript. The first transcripts (INDEX.md, top) came from a
/// lab of their own; the newer ones carry a <c>lab</c> key: the shipped asterisk-config, rendered.
/// </summary>
/// <param name="TrunkStasisAppData">The trunk dialplan's Stasis() data, <c>${EXTEN}</c> for the dialed number.</param>
/// <param name="TrunkDialplanNoOp">Whether the trunk dialplan runs a NoOp before Stasis() (ChannelDialplan/Newexten priority 1).</param>
/// <param name="TrunkReachable">Whether the trunk answered qualify OPTIONS (its endpoint state online).</param>
/// <param name="Phones">Deskphone endpoints and their caller id names.</param>
public sealed record TranscriptLab(
    string AriUser, string AriPassword, string TrunkStasisAppData, bool TrunkDialplanNoOp, bool TrunkReachable,
    string TrunkCallerName, string TrunkCallerNumber, IReadOnlyDictionary<string, string> Phones)
{
    /// <summary>INDEX.md: Basic auth cc/cc, <c>NoOp</c> then <c>Stasis(citycontact,${EXTEN})</c>, "Caller 1" &lt;+15551230001&gt;, agent1 and agent2.</summary>
    public static TranscriptLab First { get; } = new(
        "cc", "cc", "citycontact,${EXTEN}", TrunkDialplanNoOp: true, TrunkReachable: true, "Caller 1", "+15551230001",
        new Dictionary<string, string> { ["agent1"] = "Agent One", ["agent2"] = "Agent Two" });
}

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
