namespace CityContact.Telephony.Ari.Rest;

/// <summary>POST /channels: dial an endpoint and hand the answered channel to a Stasis app (or a dialplan location).</summary>
public sealed record OriginateRequest
{
    /// <summary>e.g. <c>PJSIP/agent1</c>.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The Stasis app to enter on answer; <see cref="AriOptions.App"/> when neither this nor <see cref="Extension"/> is set.</summary>
    public string? App { get; init; }

    public string? AppArgs { get; init; }

    /// <summary>e.g. <c>"Customer 100" &lt;+15551230001&gt;</c>.</summary>
    public string? CallerId { get; init; }

    /// <summary>How long to ring; ARI takes whole seconds (default 30).</summary>
    public TimeSpan? Timeout { get; init; }

    public string? ChannelId { get; init; }

    public string? OtherChannelId { get; init; }

    /// <summary>The channel this call is made on behalf of (for linked ids and codecs).</summary>
    public string? Originator { get; init; }

    public string? Formats { get; init; }

    public string? Extension { get; init; }

    public string? Context { get; init; }

    public long? Priority { get; init; }

    public string? Label { get; init; }

    /// <summary>Channel variables set before dialing; sent in the JSON body.</summary>
    public IReadOnlyDictionary<string, string>? Variables { get; init; }
}

/// <summary>POST /channels/create: a channel in Stasis that is not dialed until <c>DialAsync</c>.</summary>
public sealed record CreateChannelRequest
{
    public required string Endpoint { get; init; }

    /// <summary><see cref="AriOptions.App"/> when null.</summary>
    public string? App { get; init; }

    public string? AppArgs { get; init; }

    public string? ChannelId { get; init; }

    public string? OtherChannelId { get; init; }

    public string? Originator { get; init; }

    public string? Formats { get; init; }

    public IReadOnlyDictionary<string, string>? Variables { get; init; }
}

/// <summary>POST /channels/{id}/record or /bridges/{id}/record.</summary>
public sealed record RecordRequest
{
    /// <summary>Stored recording name (may contain a sub-directory).</summary>
    public required string Name { get; init; }

    public string Format { get; init; } = "wav";

    public TimeSpan? MaxDuration { get; init; }

    public TimeSpan? MaxSilence { get; init; }

    /// <summary><c>fail</c> (Asterisk's default), <c>overwrite</c> or <c>append</c>.</summary>
    public string? IfExists { get; init; }

    public bool? Beep { get; init; }

    /// <summary><c>none</c>, <c>any</c>, <c>*</c> or <c>#</c>.</summary>
    public string? TerminateOn { get; init; }
}

/// <summary>POST /channels/{id}/snoop: a channel that listens to and/or whispers into another.</summary>
public sealed record SnoopRequest
{
    /// <summary><c>none</c>, <c>both</c>, <c>out</c> or <c>in</c>.</summary>
    public string? Spy { get; init; }

    public string? Whisper { get; init; }

    /// <summary><see cref="AriOptions.App"/> when null.</summary>
    public string? App { get; init; }

    public string? AppArgs { get; init; }

    public string? SnoopId { get; init; }
}

/// <summary>Values of the <c>reason</c> parameter of DELETE /channels/{id}.</summary>
public static class HangupReasons
{
    public const string Normal = "normal";
    public const string Busy = "busy";
    public const string Congestion = "congestion";
    public const string NoAnswer = "no_answer";
    public const string Timeout = "timeout";
    public const string Rejected = "rejected";
    public const string Unallocated = "unallocated";
    public const string AnsweredElsewhere = "answered_elsewhere";
}

/// <summary>Values of the <c>type</c> parameter of POST /bridges (comma-combinable, e.g. <c>mixing,dtmf_events</c>).</summary>
public static class BridgeTypes
{
    public const string Mixing = "mixing";
    public const string Holding = "holding";
}
