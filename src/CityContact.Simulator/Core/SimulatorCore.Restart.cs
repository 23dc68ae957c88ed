using CityContact.Telephony.Ari.Models;
using Changes = CityContact.Simulator.Changes;

namespace CityContact.Simulator.Core;

/// <summary>
/// <c>core restart now</c> as Asterisk 22 does it (tests/fixtures/asterisk/transcripts/app-core-restart-mid-call.json): every
/// channel is soft-hung-up with AST_SOFTHANGUP_SHUTDOWN, the event sockets and AMI connections close, and the restarted
/// Asterisk knows no call, bridge or Stasis application until the apps connect again.
/// </summary>
internal sealed partial class SimulatorCore
{
    /// <summary>AST_SOFTHANGUP_SHUTDOWN: the soft-hangup flag ChannelHangupRequest carries as its cause on a shutdown.</summary>
    private const int ShutdownSoftHangup = 4;

    public void CoreRestartNow() => Mutate(() =>
    {
        foreach (var channel in _channels.Values.ToArray())
        {
            ShutdownHangup(channel);
        }
        foreach (var bridge in _bridges.Values.ToArray())
        {
            foreach (var playback in bridge.PlaybackQueue.ToArray())
            {
                EndPlayback(playback, "done", startNext: false);
            }
            _bridges.Remove(bridge.Id);
            Publish(new Changes.BridgeDestroyed(Now, ToInfo(bridge)));
        }
        Publish(new Changes.AsteriskShuttingDown(Now, Restart: true));
        foreach (var app in _apps.Values)
        {
            // Asterisk closed the TCP connection without a close frame, after the events already sent.
            app.Socket?.Abort();
        }
        // Registrations and event subscriptions lived in the old process.
        _apps.Clear();
    });

    /// <summary>
    /// ChannelHangupRequest (cause 4, soft), the playback failed, StasisEnd; the RTP QoS varsets and the destruction (cause 0)
    /// come after StasisEnd, so an app sees them only for channels it is still subscribed to.
    /// </summary>
    private void ShutdownHangup(SimChannel channel)
    {
        if (channel.IsHungUp || channel.HangupRequested)
        {
            return;
        }
        channel.HangupRequested = true;
        Cancel(channel.RingTimer);
        Cancel(channel.AnswerTimer);
        Publish(new Changes.ChannelHangupRequested(Now, ToInfo(channel), ShutdownSoftHangup, true));
        Send(channel.SubscribedApp, new ChannelHangupRequest { Cause = ShutdownSoftHangup, Soft = true, Channel = ToAri(channel) });
        FailPlaybacksOf(channel);
        FinishRecordingOf(channel);
        if (channel.Bridge is not null)
        {
            LeaveBridge(channel, byHangup: true);
        }
        LeaveStasis(channel);
        foreach (var (name, value) in channel.Origin == ChannelOrigin.Snoop ? [] : RtpQosVariables)
        {
            SetVariable(channel, name, value);
        }
        DestroyChannel(channel, 0, "Unknown", sendToApp: IsSubscribedBeyondStasis(channel));
    }
}
