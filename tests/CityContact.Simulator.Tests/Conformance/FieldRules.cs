using System.Text.Json;
using System.Text.RegularExpressions;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>How a leaf value is compared when the plain rule (same type, equal value) does not apply.</summary>
public enum FieldCheck
{
    /// <summary>An id the server chose: bound through the <see cref="IdMap"/>.</summary>
    Id,
    /// <summary>"channel:&lt;id&gt;" / "bridge:&lt;id&gt;": same scheme, the id bound through the <see cref="IdMap"/>.</summary>
    UriWithId,
    /// <summary>A channel name "PJSIP/agent1-0000000d": same "PJSIP/agent1-" prefix, 8 hex digits, the whole name bound through the <see cref="IdMap"/>.</summary>
    ChannelName,
    /// <summary>An Asterisk time stamp: only its format (2026-11-22T13:28:29.255+0000) is compared, the instant differs from run to run.</summary>
    Timestamp,
    /// <summary>An Asterisk entity id (a MAC address): only its format is compared.</summary>
    EntityId,
    /// <summary>A value that cannot match: only its JSON type is compared (the reason is given with the rule).</summary>
    TypeOnly,
    /// <summary>A SIP URI: compared without its host and port ("sip:agent1@127.0.0.1:5081" as "sip:agent1@…").</summary>
    SipUriWithoutAddress,
    /// <summary>RTP statistics "ssrc=…;themssrc=…;…": the same keys in the same order with the same padding, values not compared.</summary>
    RtpStatistics,
    /// <summary>One of <see cref="FieldRule.Accepted"/>: a race in Asterisk itself, documented with the rule.</summary>
    OneOf,
}

/// <summary>
/// A rule for the leaves at <see cref="Path"/>: either an exact normalized JSON path ("$.build.kernel", array indexes written "[]")
/// or, starting with "..", any path ending so ("..timestamp"). <see cref="When"/> narrows the rule by the expected
/// object that holds the leaf (e.g. a ChannelVarset whose variable is BRIDGEPEER).
/// </summary>
public sealed record FieldRule(string Path, FieldCheck Check, string Reason, Func<JsonElement, bool>? When = null, IReadOnlyList<string>? Accepted = null)
{
    public bool Matches(string normalizedPath, JsonElement holder) =>
        (Path.StartsWith("..", StringComparison.Ordinal)
            ? normalizedPath.EndsWith(Path[1..], StringComparison.Ordinal)
            : normalizedPath == Path)
        && (When is null || When(holder));
}

/// <summary>
/// The documented list of what is not compared literally, and why. Everything else must be equal: same keys with the
/// same casing, same JSON types, same values, arrays in the same order.
/// </summary>
public static partial class FieldRules
{
    public static IReadOnlyList<FieldRule> Ari { get; } =
    [
        // Ids chosen by the server differ per run; the IdMap checks that they name the same object throughout.
        new("..id", FieldCheck.Id, "server-chosen id (channel \"1795354109.1\", bridge/playback UUID)"),
        new("..channel_ids[]", FieldCheck.Id, "channel ids"),
        new("..bridge_ids[]", FieldCheck.Id, "bridge ids"),
        new("..channels[]", FieldCheck.Id, "channel ids listed by a bridge"),
        new("..target_uri", FieldCheck.UriWithId, "\"channel:<id>\" / \"bridge:<id>\""),
        new("..name", FieldCheck.ChannelName, "channel names carry a per-run counter (PJSIP/trunk-00000001)",
            When: holder => holder.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && IsChannelName(n.GetString()!)),
        new("$.value", FieldCheck.ChannelName, "BRIDGEPEER holds the peer's channel name (empty once the peer left)",
            When: holder => VariableIs(holder, "BRIDGEPEER") && IsChannelName(holder.GetProperty("value").GetString() ?? "")),

        // Times of the run.
        new("..timestamp", FieldCheck.Timestamp, "time of the event or ping"),
        new("..creationtime", FieldCheck.Timestamp, "time the channel or bridge was created"),
        new("..startup_time", FieldCheck.Timestamp, "time Asterisk started"),
        new("..last_reload_time", FieldCheck.Timestamp, "time Asterisk last reloaded"),

        // Addresses and identities of the lab machine and of the SIP dialogues.
        new("..asterisk_id", FieldCheck.EntityId, "the lab host's MAC address"),
        new("..entity_id", FieldCheck.EntityId, "the lab host's MAC address"),
        new("..protocol_id", FieldCheck.TypeOnly, "the SIP Call-ID of the channel's dialogue, chosen by SIPp or pjproject"),
        new("$.value", FieldCheck.TypeOnly, "BRIDGEPVTCALLID holds the peer's SIP Call-ID", When: holder => VariableIs(holder, "BRIDGEPVTCALLID")),
        new("..contact_info.uri", FieldCheck.SipUriWithoutAddress, "the phone's contact address (127.0.0.1:5081 in the lab)"),
        new("$.build.kernel", FieldCheck.TypeOnly, "the lab host's kernel release"),
        new("$.build.date", FieldCheck.TypeOnly, "the time the lab's Asterisk was compiled"),

        // Media: the simulator sends no RTP, so the statistics cannot match; their layout (keys, padding) still must.
        new("$.value", FieldCheck.RtpStatistics, "RTCP statistics of a media stream that the simulator does not carry",
            When: holder => holder.TryGetProperty("variable", out var v) && (v.GetString() ?? "").StartsWith("RTPAUDIOQOS", StringComparison.Ordinal)),
    ];

    /// <summary>
    /// INDEX.md, "Playback": the 201 body of /play has state "queued" in most runs and "playing" in a few — Asterisk
    /// answers while its playback thread starts, so either value is a faithful answer.
    /// </summary>
    public static FieldRule PlaybackStateRace { get; } = new(
        "$.state", FieldCheck.OneOf, "INDEX.md: the 201 of /play says queued or playing, a race in Asterisk", Accepted: ["queued", "playing"]);

    public static bool IsChannelName(string value) => ChannelNamePattern().IsMatch(value);

    private static bool VariableIs(JsonElement holder, string variable) =>
        holder.TryGetProperty("variable", out var v) && v.GetString() == variable;

    [GeneratedRegex("^[A-Za-z]+/[^/]+-[0-9a-f]{8}$")]
    internal static partial Regex ChannelNamePattern();
}
