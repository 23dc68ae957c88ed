using System.IO.Hashing;

namespace CityContact.Telephony.Ari;

/// <summary>
/// Recognises a WebSocket frame that repeats one already received on the same connection. Asterisk sends a channel's
/// events once per subscription that covers the channel: an app subscribed to <c>endpoint:PJSIP</c> (or to a bridge
/// the channel is in) receives every <c>ChannelDtmfReceived</c> and <c>PlaybackFinished</c> of its own Stasis channels
/// twice, byte for byte (each connection has a filter of its own: Asterisk replays nothing after a reconnect), which turned one pressed digit into two menu choices. Every ARI event carries a timestamp
/// to the millisecond, so two genuinely distinct events never have the same bytes; a repeat is dropped here, whatever
/// subscriptions the app (or an operator with <c>ari</c> CLI access) has made.
/// Frames are remembered by a 128-bit hash, the last <see cref="Window"/> of them: a repeat arrives right behind the
/// original (measured: within a few frames), and the window holds thousands under load.
/// </summary>
public sealed class RepeatedFrameFilter
{
    public const int Window = 4096;

    private readonly UInt128[] _ring = new UInt128[Window];
    private readonly HashSet<UInt128> _seen = new(Window);
    private int _next;

    /// <summary>True the first time these bytes are seen within the window; false for a repeat. One reader at a time.</summary>
    public bool IsFirst(ReadOnlySpan<byte> frame)
    {
        var hash = XxHash128.HashToUInt128(frame);
        if (!_seen.Add(hash))
        {
            return false;
        }
        if (_seen.Count > Window)
        {
            _seen.Remove(_ring[_next]);
        }
        _ring[_next] = hash;
        _next = (_next + 1) % Window;
        return true;
    }
}
