using CityContact.Telephony.Ari.Models;

namespace CityContact.Telephony.Ari;

/// <summary>
/// Which ordered lane an event belongs to: the channel it is about (the peer for Dial, the target of a
/// playback or recording), <c>bridge:&lt;id&gt;</c> for bridge events, or <see cref="Global"/>.
/// </summary>
public static class AriEventLanes
{
    public const string Global = "global";

    private const string ChannelPrefix = "channel:";

    public static string KeyOf(AriMessage message) => message switch
    {
        StasisStart e => e.Channel.Id,
        StasisEnd e => e.Channel.Id,
        ChannelStateChange e => e.Channel.Id,
        ChannelVarset e => e.Channel?.Id ?? Global,
        ChannelHangupRequest e => e.Channel.Id,
        ChannelDestroyed e => e.Channel.Id,
        ChannelDtmfReceived e => e.Channel.Id,
        ChannelDialplan e => e.Channel.Id,
        ChannelCreated e => e.Channel.Id,
        ChannelEnteredBridge e => e.Channel?.Id ?? BridgeKey(e.Bridge.Id),
        ChannelLeftBridge e => e.Channel.Id,
        ChannelCallerId e => e.Channel.Id,
        ChannelConnectedLine e => e.Channel.Id,
        ChannelHold e => e.Channel.Id,
        ChannelUnhold e => e.Channel.Id,
        ChannelTalkingStarted e => e.Channel.Id,
        ChannelTalkingFinished e => e.Channel.Id,
        ChannelToneDetected e => e.Channel.Id,
        ChannelUserevent e => e.Channel?.Id ?? (e.Bridge is { } b ? BridgeKey(b.Id) : Global),
        Dial e => e.Peer.Id,
        PlaybackStarted e => TargetKey(e.Playback.TargetUri),
        PlaybackContinuing e => TargetKey(e.Playback.TargetUri),
        PlaybackFinished e => TargetKey(e.Playback.TargetUri),
        RecordingStarted e => TargetKey(e.Recording.TargetUri),
        RecordingFinished e => TargetKey(e.Recording.TargetUri),
        RecordingFailed e => TargetKey(e.Recording.TargetUri),
        BridgeCreated e => BridgeKey(e.Bridge.Id),
        BridgeDestroyed e => BridgeKey(e.Bridge.Id),
        BridgeMerged e => BridgeKey(e.Bridge.Id),
        BridgeVideoSourceChanged e => BridgeKey(e.Bridge.Id),
        BridgeBlindTransfer e => e.Channel.Id,
        BridgeAttendedTransfer e => e.TransfererFirstLeg.Id,
        CallBroadcast e => e.Channel.Id,
        CallClaimed e => e.Channel.Id,
        ApplicationMoveFailed e => e.Channel.Id,
        _ => Global,
    };

    /// <summary>"channel:123.4" → "123.4"; "bridge:abc" → "bridge:abc"; anything else → global.</summary>
    public static string TargetKey(string? targetUri) =>
        targetUri is null ? Global
        : targetUri.StartsWith(ChannelPrefix, StringComparison.Ordinal) ? targetUri[ChannelPrefix.Length..]
        : targetUri.StartsWith("bridge:", StringComparison.Ordinal) ? targetUri
        : Global;

    public static string BridgeKey(string bridgeId) => "bridge:" + bridgeId;
}
