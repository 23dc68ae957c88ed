using CityContact.Simulator.Scripting;

namespace CityContact.Simulator.Core;

/// <summary>How a channel came to be: its kind decides which events Asterisk sends after StasisEnd.</summary>
internal enum ChannelOrigin
{
    /// <summary>An INVITE from the trunk, run by the dialplan: no ChannelDestroyed after StasisEnd.</summary>
    Trunk,
    /// <summary>POST /channels (originate): Dial events, then STASISSTATUS and ChannelDestroyed after StasisEnd.</summary>
    Originated,
    /// <summary>POST /channels/create: in Stasis at once in state Down, rings on /dial.</summary>
    Created,
    /// <summary>POST /channels/{id}/snoop: a Snoop/… channel, Up at once, in Stasis; not PJSIP, so no RTP varsets.</summary>
    Snoop,
}

/// <summary>One channel. Mutated only by <see cref="SimulatorCore"/> under its lock.</summary>
internal sealed class SimChannel
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string LinkedId { get; init; }
    public required ChannelOrigin Origin { get; init; }
    public required SimEndpoint? Endpoint { get; init; }
    public required string EndpointName { get; init; }
    public required string ProtocolId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>For a snoop channel, the channel it listens to (it ends when that one does).</summary>
    public SimChannel? SnoopedChannel { get; init; }
    /// <summary>Snoop channels listening to this one.</summary>
    public List<SimChannel> Snoops { get; } = [];
    public string State { get; set; } = "Down";
    public string CallerNumber { get; set; } = "";
    public string CallerName { get; set; } = "";
    public string ConnectedNumber { get; set; } = "";
    public string ConnectedName { get; set; } = "";
    public string Context { get; set; } = "";
    public string Exten { get; set; } = "";
    public long Priority { get; set; } = 1;
    public string AppName { get; set; } = "";
    public string AppData { get; set; } = "";
    public string Language { get; set; } = "en";

    /// <summary>The application that receives this channel's events (Stasis app, or the originator's app before StasisStart).</summary>
    public string? SubscribedApp { get; set; }
    public bool InStasis { get; set; }
    public string? StasisApp { get; set; }
    public string[] StasisArgs { get; set; } = [];
    public int StasisStarts { get; set; }
    public bool Declined { get; set; }
    public bool HangupRequested { get; set; }
    public bool IsHungUp { get; set; }

    /// <summary>When the last digit was stamped: a phone sends one digit after another, never two in one instant.</summary>
    public DateTimeOffset? LastDtmfAt { get; set; }
    public DateTimeOffset? AnsweredAt { get; set; }
    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);
    public List<string> PlaybackMedia { get; } = [];
    public List<SimPlayback> PlaybackQueue { get; } = [];
    public SimBridge? Bridge { get; set; }
    public SimLiveRecording? Recording { get; set; }
    public DateTimeOffset SpeakingUntil { get; set; }
    public List<(DateTimeOffset From, DateTimeOffset To)> Speech { get; } = [];

    /// <summary>The phone sends no RTP while its user is silent (silence suppression, a muted phone): only speech is audio.</summary>
    public bool SendsNoAudioWhenSilent { get; set; }

    /// <summary>Originate/dial: the Stasis args to enter with on answer, the timer that gives up ringing.</summary>
    public string[] PendingStasisArgs { get; set; } = [];
    public string? PendingStasisApp { get; set; }
    public ITimer? RingTimer { get; set; }
    public ITimer? AnswerTimer { get; set; }
    public string? DialString { get; set; }
    public string? OriginateCorrelationId { get; set; }
    /// <summary>AMI Originate with Application: the native application (Playback, its data) run once the phone answers.</summary>
    public (string Name, string Data)? NativeApplication { get; set; }
    public bool Dialing { get; set; }

    /// <summary>The class of the music on hold playing to the channel (POST /moh, or /hold on PJSIP), null when none.</summary>
    public string? MohClass { get; set; }
    /// <summary>Held by the app (POST /hold): chan_pjsip plays MOH to the phone; no ARI event.</summary>
    public bool HeldByApp { get; set; }
    /// <summary>The far end put the call on hold (re-INVITE sendonly): ChannelHold was sent.</summary>
    public bool HeldByRemote { get; set; }
    /// <summary>Audio directions suppressed by POST /mute ("in", "out").</summary>
    public HashSet<string> Muted { get; } = new(StringComparer.Ordinal);
    public bool SilenceGenerator { get; set; }
}

/// <summary>One playback: a list of media played in order on a channel or a bridge.</summary>
internal sealed class SimPlayback
{
    public required string Id { get; init; }
    public required IReadOnlyList<string> MediaUris { get; init; }
    public required string TargetUri { get; init; }
    public required string Language { get; init; }
    public required SimChannel? Channel { get; init; }
    public required SimBridge? Bridge { get; init; }
    public required string App { get; init; }
    public int MediaIndex { get; set; }
    public string State { get; set; } = "queued";
    public ITimer? Timer { get; set; }
}

internal sealed class SimBridge
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Type { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string App { get; init; }
    public List<SimChannel> Channels { get; } = [];
    public string? MohClass { get; set; }
    public bool EmptiedByHangup { get; set; }
    public List<SimPlayback> PlaybackQueue { get; } = [];
    /// <summary>Asterisk's smart bridge picks simple_bridge for up to two channels and softmix beyond, re-choosing on every join and leave.</summary>
    public string Technology => Type == "holding" ? "holding_bridge" : Channels.Count > 2 ? "softmix" : "simple_bridge";
}

internal sealed class SimLiveRecording
{
    public required string Name { get; init; }
    public required string Format { get; init; }
    public required string TargetUri { get; init; }
    public required SimChannel Channel { get; init; }
    public required string App { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required TimeSpan? MaxDuration { get; init; }
    public required TimeSpan? MaxSilence { get; init; }
    public required string TerminateOn { get; init; }
    public string State { get; set; } = "queued";
    public DateTimeOffset? RecordingSince { get; set; }
    public ITimer? Timer { get; set; }
}

internal sealed class SimEndpoint
{
    public required string Technology { get; init; }
    public required string Resource { get; init; }
    public bool IsPhone { get; init; }
    public bool IsRegistered { get; set; }
    public string ContactUri { get; set; } = "";
    public PhoneAnswerBehaviour Behaviour { get; set; } = PhoneAnswerBehaviour.AnswerAfter;
    public TimeSpan AnswerDelay { get; set; } = TimeSpan.FromSeconds(1);
    public SimChannel? CurrentChannel { get; set; }
    public string DeviceName => $"{Technology}/{Resource}";
}
