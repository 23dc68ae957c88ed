using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace CityContact.Simulator.AriServer;

/// <summary>
/// One ARI event WebSocket. Events are queued by the core (under its lock, so in order) and written by one send loop;
/// frames the client sends are read and ignored, as Asterisk does for an events socket. The socket exists before the
/// upgrade completes, so the app is registered by the time the client sees 101 and events queued meanwhile wait.
/// </summary>
internal sealed class AriEventSocket
{
    private readonly Channel<string> _outbox = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(string json) => _outbox.Writer.TryWrite(json);

    private volatile bool _abort;

    /// <summary>Closes the socket with 1000 and an empty reason once the events already queued have been sent.</summary>
    public void Close() => _outbox.Writer.TryComplete();

    /// <summary>
    /// Drops the TCP connection without a close frame once the events already queued have been sent, as Asterisk's
    /// <c>core restart now</c> does (app-core-restart-mid-call.json).
    /// </summary>
    public void Abort()
    {
        _abort = true;
        _outbox.Writer.TryComplete();
    }

    /// <summary>Runs until the socket is closed by either side.</summary>
    public async Task RunAsync(WebSocket socket, CancellationToken ct)
    {
        var receive = ReceiveUntilClosedAsync(socket, ct);
        try
        {
            await foreach (var json in _outbox.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (socket.State != WebSocketState.Open)
                {
                    break;
                }
                await socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
            }
            if (_abort)
            {
                // No close frame: the request ends and Kestrel closes the connection once the events are flushed
                // (WebSocket.Abort would discard what is still unflushed). The receive loop ends with the connection.
                _outbox.Writer.TryComplete();
                return;
            }
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away; the app keeps its channels, like Asterisk.
        }
        _outbox.Writer.TryComplete();
        await receive.ConfigureAwait(false);
    }

    private async Task ReceiveUntilClosedAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[4096];
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Closed without a handshake (by either side): same as a close.
        }
        _outbox.Writer.TryComplete();
    }
}
