using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Service.Infrastructure.Telephony;

/// <summary>
/// The ARI event types the service handles; Asterisk is told to send only these (an app-wide event filter, set at each
/// connection). A call in the IVR otherwise brings ChannelVarset (five RTP quality variables at every hang-up alone),
/// ChannelStateChange, PlaybackStarted, ChannelDialplan and more that nobody reads: every one costs Asterisk a JSON
/// write on the app's queue, which on a real Asterisk filled at 100 calls/s and made PJSIP ignore new calls.
/// A feature that starts handling another event type adds it here; the simulator applies the filter too, so a test of
/// that feature fails until it is added.
/// </summary>
public static class StasisEventFilter
{
    public static readonly IReadOnlyList<string> Handled =
    [
        nameof(StasisStart),
        nameof(StasisEnd),
        nameof(ChannelHangupRequest),
        nameof(ChannelDestroyed),
        nameof(ChannelDtmfReceived),
        nameof(PlaybackFinished),
        // A voicemail take ignores the end events of an earlier take under the same name until its own start.
        nameof(RecordingStarted),
        nameof(RecordingFinished),
        nameof(RecordingFailed),
        // The event stream reconnects when another client takes the app over.
        nameof(ApplicationReplaced),
    ];

    public static Task ApplyAsync(AriClient ari, CancellationToken ct) => ari.Rest.Applications.FilterEventsAsync(Handled, ct);
}
