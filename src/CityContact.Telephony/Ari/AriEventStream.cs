using System.Buffers;
using System.Net.WebSockets;
using CityContact.Telephony.Ari.Models;
using Microsoft.Extensions.Logging;

namespace CityContact.Telephony.Ari;

public enum AriConnectionState
{
    Disconnected,
    Connecting,
    Connected,
}

/// <summary>
/// The ARI event WebSocket (<c>/ari/events?app=…</c>), held open forever: every disconnect — error, dead
/// peer, or a clean close by Asterisk — is followed by a capped, jittered exponential back-off and a new
/// attempt, so a server that accepts and closes at once cannot drive a tight loop. A ping every
/// <see cref="AriOptions.PingInterval"/> that stays unanswered for <see cref="AriOptions.PingTimeout"/>
/// aborts the socket, so a silently dead connection is noticed within seconds even when no calls produce
/// events. Asterisk replays nothing after a reconnect (and sends no StasisStart for calls already in the
/// app), hence <see cref="Reconnected"/>.
/// </summary>
public sealed class AriEventStream
{
    // Asterisk's largest frames (a Bridge with many channels, a long variable) stay far below this;
    // a bigger one is skipped rather than allowed to exhaust memory.
    private const int MaxFrameBytes = 4 * 1024 * 1024;
    private const int InitialBufferBytes = 16 * 1024;

    private readonly AriOptions _options;
    private readonly AriEventParser _parser;
    private readonly ILogger _logger;
    private readonly Uri _uri;
    private int _state = (int)AriConnectionState.Disconnected;
    private int _connections;
    private long _repeatedFrames;

    public AriEventStream(AriOptions options, AriEventParser parser, ILogger<AriEventStream> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _parser = parser;
        _logger = logger;
        var root = options.Root;
        var scheme = root.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        _uri = new UriBuilder(new Uri(root, "ari/events")) { Scheme = scheme, Query = $"app={Uri.EscapeDataString(options.App)}&subscribeAll=false" }.Uri;
    }

    public AriConnectionState State => (AriConnectionState)Volatile.Read(ref _state);

    /// <summary>Successful connections so far (the first one included).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Frames dropped because they repeated one already received on the same connection (see <see cref="RepeatedFrameFilter"/>).</summary>
    public long RepeatedFrames => Interlocked.Read(ref _repeatedFrames);

    /// <summary>Raised on every state change, on the stream's own task; keep handlers quick.</summary>
    public event EventHandler<AriConnectionState>? StateChanged;

    /// <summary>
    /// Raised after every connection but the first, before any event of the new connection is read:
    /// the place to re-adopt calls (see <c>AriRestClient.Channels.ListInAppAsync</c>). Handlers are
    /// awaited one after the other; a failing one is logged.
    /// </summary>
    public event Func<CancellationToken, Task>? Reconnected;

    /// <summary>Connects, reads and hands over messages until cancelled; never gives up on its own.</summary>
    public async Task RunAsync(Func<AriMessage, CancellationToken, ValueTask> onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var connectedFor = TimeSpan.Zero;
            try
            {
                connectedFor = await ConnectAndReceiveAsync(onMessage, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // Whatever broke the connection, the answer is to reconnect.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.LogWarning("ARI event WebSocket to {Uri} failed: {Error}", _uri, ex.Message);
            }
            finally
            {
                SetState(AriConnectionState.Disconnected);
            }
            // A connection that held for a while was healthy: start the back-off from the bottom again.
            failures = connectedFor >= _options.ReconnectMaxDelay ? 0 : failures + 1;
            var delay = Backoff(failures);
            _logger.LogInformation("ARI event WebSocket reconnects in {Delay} ms", (int)delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Equal jitter: half the capped exponential delay, plus a random share of the other half.</summary>
    internal TimeSpan Backoff(int failures)
    {
        var min = _options.ReconnectMinDelay.TotalMilliseconds;
        var max = _options.ReconnectMaxDelay.TotalMilliseconds;
        var capped = Math.Min(max, min * Math.Pow(2, Math.Clamp(failures - 1, 0, 30)));
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }

    private async Task<TimeSpan> ConnectAndReceiveAsync(Func<AriMessage, CancellationToken, ValueTask> onMessage, CancellationToken cancellationToken)
    {
        SetState(AriConnectionState.Connecting);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Basic " + _options.BasicAuthorization);
        socket.Options.KeepAliveInterval = _options.PingInterval;
        socket.Options.KeepAliveTimeout = _options.PingTimeout;
        socket.Options.CollectHttpResponseDetails = true;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connectTimeout.CancelAfter(_options.RequestTimeout);
            try
            {
                await socket.ConnectAsync(_uri, connectTimeout.Token);
            }
            catch (WebSocketException ex) when (socket.HttpStatusCode != 0)
            {
                throw new WebSocketException($"upgrade refused with HTTP {(int)socket.HttpStatusCode}", ex);
            }
        }
        var connectedAt = DateTime.UtcNow;
        var number = Interlocked.Increment(ref _connections);
        SetState(AriConnectionState.Connected);
        _logger.LogInformation("ARI event WebSocket connected to {Uri} (connection {Number})", _uri, number);
        if (number > 1)
        {
            await RaiseReconnectedAsync(cancellationToken);
        }
        try
        {
            await ReceiveAsync(socket, onMessage, cancellationToken);
            _logger.LogWarning("ARI event WebSocket closed by Asterisk ({Status} {Description})", socket.CloseStatus, socket.CloseStatusDescription);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await CloseQuietlyAsync(socket);
            throw;
        }
        return DateTime.UtcNow - connectedAt;
    }

    private async Task ReceiveAsync(ClientWebSocket socket, Func<AriMessage, CancellationToken, ValueTask> onMessage, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        var repeats = new RepeatedFrameFilter();
        try
        {
            var count = 0;
            var oversized = false;
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (buffer.Length >= MaxFrameBytes)
                    {
                        oversized = true;
                        count = 0;
                    }
                    else
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                }
                var result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseQuietlyAsync(socket);
                    return;
                }
                count += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }
                if (oversized)
                {
                    _logger.LogWarning("ARI frame larger than {Max} bytes skipped", MaxFrameBytes);
                }
                else if (result.MessageType == WebSocketMessageType.Text && !repeats.IsFirst(buffer.AsSpan(0, count)))
                {
                    if (Interlocked.Increment(ref _repeatedFrames) == 1)
                    {
                        _logger.LogWarning("Asterisk sent an ARI event twice (the app {App} has overlapping subscriptions); repeats are dropped", _options.App);
                    }
                }
                else if (result.MessageType == WebSocketMessageType.Text)
                {
                    var message = _parser.Parse(buffer.AsSpan(0, count));
                    if (message is not null)
                    {
                        await onMessage(message, cancellationToken);
                    }
                    if (message is ApplicationReplaced)
                    {
                        // Another client took our app; Asterisk keeps this socket open but sends nothing more
                        // on it. Reconnecting (after the back-off) takes the app back, and the log says why.
                        _logger.LogError("ARI app {App} was taken over by another WebSocket client; reconnecting to take it back", _options.App);
                        await CloseQuietlyAsync(socket);
                        return;
                    }
                }
                count = 0;
                oversized = false;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task RaiseReconnectedAsync(CancellationToken cancellationToken)
    {
        if (Reconnected is not { } handlers)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList().Cast<Func<CancellationToken, Task>>())
        {
            try
            {
                await handler(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // Re-adoption failing for one handler must not keep events from flowing.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.LogError(ex, "ARI Reconnected handler failed");
            }
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer is gone already; nothing left to close politely.
        }
    }

    private void SetState(AriConnectionState state)
    {
        if (Interlocked.Exchange(ref _state, (int)state) != (int)state)
        {
            StateChanged?.Invoke(this, state);
        }
    }
}
