namespace CityContact.Simulator.Changes;

/// <summary>
/// One change of the simulated Asterisk's state, published in order by the simulator core to its subscribers
/// (the AMI server turns them into AMI events). Published while the core holds its state lock: a subscriber
/// must only queue the change and return.
/// </summary>
public abstract record StateChange(DateTimeOffset Timestamp);

/// <summary>A channel as AMI and tests see it; an immutable snapshot taken when the change happened.</summary>
/// <param name="UniqueId">Asterisk's Uniqueid (= ARI channel id).</param>
/// <param name="LinkedId">Uniqueid of the first channel of the call (originated legs are linked to themselves).</param>
/// <param name="State">ARI state name: Down, Rsrvd, OffHook, Dialing, Ring, Ringing, Up, Busy.</param>
/// <param name="StateCode">AMI ChannelState number (0 Down, 4 Ring, 5 Ringing, 6 Up).</param>
/// <param name="Endpoint">PJSIP endpoint the channel belongs to (trunk, agent1...).</param>
/// <param name="InStasis">Whether the channel is currently inside the Stasis application.</param>
public sealed record ChannelInfo(
    string UniqueId,
    string LinkedId,
    string Name,
    string State,
    int StateCode,
    string CallerNumber,
    string CallerName,
    string ConnectedNumber,
    string ConnectedName,
    string Context,
    string Exten,
    int Priority,
    string Application,
    string ApplicationData,
    string Language,
    string AccountCode,
    string Endpoint,
    string ProtocolId,
    bool InStasis,
    DateTimeOffset CreatedAt);

public sealed record ChannelCreated(DateTimeOffset Timestamp, ChannelInfo Channel) : StateChange(Timestamp);

public sealed record ChannelStateChanged(DateTimeOffset Timestamp, ChannelInfo Channel) : StateChange(Timestamp);

/// <summary>The channel moved to a new dialplan step (AMI Newexten).</summary>
public sealed record ChannelDialplanStep(DateTimeOffset Timestamp, ChannelInfo Channel) : StateChange(Timestamp);

public sealed record ChannelVarSet(DateTimeOffset Timestamp, ChannelInfo Channel, string Variable, string Value) : StateChange(Timestamp);

/// <summary>Hangup requested. <paramref name="Cause"/> 32 with <paramref name="Soft"/> for an app/AMI hangup; null for a BYE from the far end.</summary>
public sealed record ChannelHangupRequested(DateTimeOffset Timestamp, ChannelInfo Channel, int? Cause, bool Soft) : StateChange(Timestamp);

public sealed record ChannelDestroyed(DateTimeOffset Timestamp, ChannelInfo Channel, int Cause, string CauseText) : StateChange(Timestamp);

/// <summary>
/// The far end put the call on hold (<paramref name="Held"/>) or took it off hold (AMI Hold/Unhold, ARI ChannelHold/ChannelUnhold).
/// The app's own POST /hold does not raise this: Asterisk only indicates hold to the phone (MOH, see <see cref="MusicOnHoldChanged"/>).
/// </summary>
public sealed record ChannelHoldChanged(DateTimeOffset Timestamp, ChannelInfo Channel, bool Held, string? MusicClass) : StateChange(Timestamp);

/// <summary>Music on hold started (with its class) or stopped on a channel (AMI MusicOnHoldStart/MusicOnHoldStop); no ARI event.</summary>
public sealed record MusicOnHoldChanged(DateTimeOffset Timestamp, ChannelInfo Channel, bool Started, string MusicClass) : StateChange(Timestamp);

/// <summary>A snoop channel started listening to <paramref name="Spyee"/> (AMI ChanSpyStart).</summary>
public sealed record SnoopStarted(DateTimeOffset Timestamp, ChannelInfo Spyer, ChannelInfo Spyee) : StateChange(Timestamp);

/// <summary>The channel's caller id was set after allocation (AMI NewCallerid), e.g. by an AMI Originate's CallerID.</summary>
public sealed record CallerIdChanged(DateTimeOffset Timestamp, ChannelInfo Channel) : StateChange(Timestamp);

/// <summary>The channel's connected line was set (AMI NewConnectedLine).</summary>
public sealed record ConnectedLineChanged(DateTimeOffset Timestamp, ChannelInfo Channel) : StateChange(Timestamp);

public sealed record DtmfReceived(DateTimeOffset Timestamp, ChannelInfo Channel, string Digit, int DurationMs) : StateChange(Timestamp);

/// <summary>Dial started from <paramref name="Caller"/> (null for an originate) to <paramref name="Peer"/>.</summary>
public sealed record DialBegan(DateTimeOffset Timestamp, ChannelInfo? Caller, ChannelInfo Peer, string DialString) : StateChange(Timestamp);

/// <summary>Dial progress or end; <paramref name="DialStatus"/> RINGING, ANSWER, BUSY, NOANSWER, CANCEL.</summary>
public sealed record DialStatusChanged(DateTimeOffset Timestamp, ChannelInfo? Caller, ChannelInfo Peer, string DialStatus) : StateChange(Timestamp);

public sealed record StasisEntered(DateTimeOffset Timestamp, ChannelInfo Channel, string Application, IReadOnlyList<string> Args) : StateChange(Timestamp);

public sealed record StasisLeft(DateTimeOffset Timestamp, ChannelInfo Channel, string Application) : StateChange(Timestamp);

public sealed record BridgeInfo(string Id, string Name, string Type, string Technology, IReadOnlyList<string> ChannelIds);

public sealed record BridgeCreated(DateTimeOffset Timestamp, BridgeInfo Bridge) : StateChange(Timestamp);

public sealed record BridgeDestroyed(DateTimeOffset Timestamp, BridgeInfo Bridge) : StateChange(Timestamp);

public sealed record BridgeEntered(DateTimeOffset Timestamp, BridgeInfo Bridge, ChannelInfo Channel) : StateChange(Timestamp);

public sealed record BridgeLeft(DateTimeOffset Timestamp, BridgeInfo Bridge, ChannelInfo Channel) : StateChange(Timestamp);

/// <summary>PJSIP endpoint state: "online" or "offline" (ARI names).</summary>
public sealed record EndpointStateChanged(DateTimeOffset Timestamp, string Technology, string Resource, string State) : StateChange(Timestamp);

/// <summary>A contact of an endpoint changed; <paramref name="Status"/> as AMI/ARI name it: NonQualified, Removed, Created.</summary>
public sealed record ContactStatusChanged(DateTimeOffset Timestamp, string Endpoint, string Uri, string Status, string RoundtripUsec) : StateChange(Timestamp);

/// <summary>Device state of e.g. "PJSIP/agent1": NOT_INUSE, INUSE, RINGING, UNAVAILABLE.</summary>
public sealed record DeviceStateChanged(DateTimeOffset Timestamp, string Device, string State) : StateChange(Timestamp);

/// <summary>
/// The outcome of an originate (AMI OriginateResponse): <paramref name="Reason"/> 4 answered, 3 no answer (timeout),
/// 1 busy/rejected, 0 failure (e.g. unregistered). <paramref name="CorrelationId"/> is what the originator passed in.
/// </summary>
public sealed record OriginateCompleted(DateTimeOffset Timestamp, string? CorrelationId, ChannelInfo? Channel, bool Success, int Reason) : StateChange(Timestamp);

/// <summary>Asterisk is going down (<c>core restart now</c>, <c>core stop now</c>): AMI's Shutdown event, then every AMI connection closes.</summary>
public sealed record AsteriskShuttingDown(DateTimeOffset Timestamp, bool Restart) : StateChange(Timestamp);
