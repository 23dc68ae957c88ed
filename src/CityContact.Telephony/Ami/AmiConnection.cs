using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace CityContact.Telephony.Ami;

/// <summary>
/// One TCP session with Asterisk: reads the banner, runs the read loop, writes actions one at a time and correlates
/// their answers. Unsolicited events go to <c>onEvent</c>, which must not block. When the socket ends, for any reason,
/// every pending action fails with <see cref="AmiDisconnectedException"/> and <see cref="Completion"/> finishes.
/// </summary>
internal sealed class AmiConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly AmiFrameDecoder _decoder;
    private readonly Action<AmiMessage> _onEvent;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly AmiPendingActions _pending = new();
    private readonly TaskCompletionSource<string> _banner = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private long _lastReceivedTicks = Environment.TickCount64;
    private long _nextActionId;
    private Task _readLoop = Task.CompletedTask;

    private AmiConnection(TcpClient tcp, int maxFrameBytes, Action<AmiMessage> onEvent, ILogger logger)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _decoder = new AmiFrameDecoder(expectBanner: true, maxFrameBytes, logger);
        _onEvent = onEvent;
        _logger = logger;
    }

    public Task Completion => _readLoop;

    public string Banner { get; private set; } = "";

    /// <summary>Milliseconds since the last byte arrived from Asterisk.</summary>
    public long IdleMilliseconds => Environment.TickCount64 - Interlocked.Read(ref _lastReceivedTicks);

    public long MalformedLines => _decoder.MalformedLines;

    public long OversizedFrames => _decoder.OversizedFrames;

    public static async Task<AmiConnection> OpenAsync(AmiOptions options, Action<AmiMessage> onEvent, ILogger logger, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            await tcp.ConnectAsync(options.Host, options.Port, timeout.Token).ConfigureAwait(false);
            var connection = new AmiConnection(tcp, options.MaxFrameBytes, onEvent, logger);
            connection._readLoop = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
            connection.Banner = await connection._banner.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            return connection;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            tcp.Dispose();
            throw new AmiDisconnectedException($"No AMI banner from {options.Host}:{options.Port} within {options.ConnectTimeout.TotalSeconds:0.#} s.");
        }
        catch (SocketException ex)
        {
            tcp.Dispose();
            throw new AmiDisconnectedException($"Cannot connect to AMI at {options.Host}:{options.Port}: {ex.SocketErrorCode}.", ex);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="action"/> (an ActionID is added when missing) and waits for its complete answer.</summary>
    public async Task<AmiResponse> SendAsync(AmiMessage action, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var actionName = action["Action"] ?? throw new ArgumentException("An AMI action needs an 'Action' key.", nameof(action));
        var actionId = action.ActionId;
        if (string.IsNullOrEmpty(actionId))
        {
            actionId = $"cc-{Interlocked.Increment(ref _nextActionId)}";
            action = action.With("ActionID", actionId);
        }

        var answer = _pending.Register(actionId);
        try
        {
            await WriteAsync(action, cancellationToken).ConfigureAwait(false);
            return await answer.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new AmiActionTimeoutException(actionName, actionId, timeout);
        }
        finally
        {
            _pending.Forget(actionId);
        }
    }

    private async Task WriteAsync(AmiMessage message, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(message.ToWireText());
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Abort();
            throw new AmiDisconnectedException("The AMI connection broke while sending an action.", ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        var frames = new List<AmiMessage>();
        Exception? cause = null;
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(buffer, _closing.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                Interlocked.Exchange(ref _lastReceivedTicks, Environment.TickCount64);
                _decoder.Feed(buffer.AsSpan(0, read), frames);
                if (_decoder.Banner is { } banner)
                {
                    _banner.TrySetResult(banner);
                }
                foreach (var frame in frames)
                {
                    Dispatch(frame);
                }
                frames.Clear();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            cause = ex;
        }
        finally
        {
            var disconnected = new AmiDisconnectedException("The AMI connection closed.", cause);
            _banner.TrySetException(disconnected);
            _pending.FailAll(disconnected);
            _logger.LogInformation("AMI connection closed ({Reason})", cause?.Message ?? "end of stream");
        }
    }

    private void Dispatch(AmiMessage frame)
    {
        if (_pending.TryDeliver(frame))
        {
            return;
        }
        if (frame.IsEvent)
        {
            try
            {
                _onEvent(frame);
            }
            catch (Exception ex)
            {
                // The read loop outlives any consumer bug: answers and pings must keep flowing.
                _logger.LogError(ex, "AMI event sink failed on {Event}", frame.EventName);
            }
        }
        else
        {
            _logger.LogDebug("AMI response for no pending action ignored: {ActionId}", frame.ActionId);
        }
    }

    /// <summary>Closes the socket now; the read loop ends and pending actions fail.</summary>
    public void Abort()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: nothing left to stop.
        }
        _tcp.Close();
    }

    public async ValueTask DisposeAsync()
    {
        Abort();
        await _readLoop.ConfigureAwait(false);
        _tcp.Dispose();
        _closing.Dispose();
        _writeLock.Dispose();
    }
}
