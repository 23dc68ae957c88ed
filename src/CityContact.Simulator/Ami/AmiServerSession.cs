using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using CityContact.Telephony.Ami;
using Microsoft.Extensions.Logging;

namespace CityContact.Simulator.Ami;

/// <summary>
/// One manager connection: sends the banner, parses actions with the client's own decoder and hands them to
/// <see cref="AmiServerActions"/> one at a time (as Asterisk does per session), and writes responses and events
/// through a single queue so that their order on the wire is the order they were produced.
/// </summary>
internal sealed class AmiServerSession : IAsyncDisposable
{
    private static readonly byte[] CloseMarker = [];

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly AmiServerActions _actions;
    private readonly ILogger _logger;
    private readonly Channel<byte[]> _outbox = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closed = new();

    public AmiServerSession(TcpClient tcp, AmiServerActions actions, ILogger logger, DateTimeOffset connectedAt)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _actions = actions;
        _logger = logger;
        ConnectedAt = connectedAt;
        SessionId = $"0x{Random.Shared.NextInt64(0x7f0000000000, 0x7fffffffffff):x}";
        LocalAddress = tcp.Client.LocalEndPoint as IPEndPoint;
        RemoteAddress = tcp.Client.RemoteEndPoint as IPEndPoint;
    }

    public string SessionId { get; }

    public DateTimeOffset ConnectedAt { get; }

    public IPEndPoint? LocalAddress { get; }

    public IPEndPoint? RemoteAddress { get; }

    public string? User { get; set; }

    public bool LoggedIn { get; set; }

    public bool EventsEnabled { get; set; } = true;

    /// <summary>The nonce handed out by <c>Action: Challenge</c>, checked by an MD5 login.</summary>
    public string? Challenge { get; set; }

    public async Task RunAsync(string banner, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        var writer = WriteLoopAsync(linked.Token);
        EnqueueRaw(Encoding.UTF8.GetBytes(banner + "\r\n"));

        var decoder = new AmiFrameDecoder(expectBanner: false, logger: _logger);
        var buffer = new byte[8192];
        var actions = new List<AmiMessage>();
        try
        {
            while (!linked.IsCancellationRequested)
            {
                var read = await _stream.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                decoder.Feed(buffer.AsSpan(0, read), actions);
                foreach (var action in actions)
                {
                    await _actions.HandleAsync(this, action, linked.Token).ConfigureAwait(false);
                }
                actions.Clear();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug("AMI session {Session} read ended: {Reason}", SessionId, ex.Message);
        }
        finally
        {
            _outbox.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            _tcp.Close();
        }
    }

    public void Send(AmiMessage message) => EnqueueRaw(Encoding.UTF8.GetBytes(message.ToWireText()));

    /// <summary>The user's manager.conf eventfilter (see <see cref="AmiServerOptions.EventFilter"/>).</summary>
    public System.Text.RegularExpressions.Regex? EventFilter { get; init; }

    /// <summary>Queues an unsolicited event; dropped unless the session is logged in with events on and the event passes the filter.</summary>
    public void SendEvent(AmiMessage message)
    {
        if (!LoggedIn || !EventsEnabled)
        {
            return;
        }
        var text = message.ToWireText();
        if (EventFilter is null || EventFilter.IsMatch(text))
        {
            EnqueueRaw(Encoding.UTF8.GetBytes(text));
        }
    }

    /// <summary>Closes the connection once everything queued before this call has been written (after Goodbye, after a failed login).</summary>
    public void CloseAfterPendingWrites() => EnqueueRaw(CloseMarker);

    /// <summary>Drops the connection now, as a crashed Asterisk would.</summary>
    public void Abort()
    {
        try
        {
            _closed.Cancel();
            _tcp.Client?.Close(0);
        }
        catch (ObjectDisposedException)
        {
            // The session ended on its own meanwhile.
        }
    }

    private void EnqueueRaw(byte[] bytes) => _outbox.Writer.TryWrite(bytes);

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var bytes in _outbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (ReferenceEquals(bytes, CloseMarker))
                {
                    await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                    _tcp.Client?.Shutdown(SocketShutdown.Both);
                    await _closed.CancelAsync().ConfigureAwait(false);
                    return;
                }
                await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug("AMI session {Session} write ended: {Reason}", SessionId, ex.Message);
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        _closed.Dispose();
        return ValueTask.CompletedTask;
    }
}
