using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityContact.Telephony.Ami;

/// <summary>Raised after every successful login; <see cref="IsReconnect"/> tells the app to resync (channels, endpoint states).</summary>
public sealed class AmiSessionStartedEventArgs(bool isReconnect, string banner) : EventArgs
{
    public bool IsReconnect { get; } = isReconnect;

    public string Banner { get; } = banner;
}

/// <summary>
/// A long-lived AMI client: connects, logs in, keeps the session alive with <c>Ping</c> when idle, and reconnects
/// forever with capped exponential back-off and jitter until stopped (then it sends <c>Logoff</c>).
/// Unsolicited events are delivered through <see cref="Events"/>, a bounded buffer: when the consumer falls behind,
/// the oldest events are dropped and counted in <see cref="DroppedEvents"/>. Dropping was chosen over back-pressure
/// because blocking the read loop would also hold back action responses and Ping answers, and a slow consumer would
/// then look like a dead Asterisk; endpoint and channel states are recoverable with the list actions anyway.
/// </summary>
public sealed class AmiClient : IAsyncDisposable
{
    private readonly AmiOptions _options;
    private readonly ILogger _logger;
    private readonly AmiReconnectBackoff _backoff;
    private readonly Channel<AmiMessage> _events;
    private readonly CancellationTokenSource _stopping = new();
    private bool _disposed;
    private readonly Lock _stateGate = new();
    private TaskCompletionSource _connectedSignal = NewSignal();
    private AmiConnection? _connection;
    private AmiConnectionState _state = AmiConnectionState.Disconnected;
    private Task _run = Task.CompletedTask;
    private long _droppedEvents;
    private int _sessions;

    public AmiClient(AmiOptions options, ILogger<AmiClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _backoff = new AmiReconnectBackoff(options.ReconnectInitialDelay, options.ReconnectMaxDelay);
        _events = Channel.CreateBounded<AmiMessage>(
            new BoundedChannelOptions(options.EventBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
            _ => Interlocked.Increment(ref _droppedEvents));
    }

    /// <summary>After each login: first connection and every reconnect. Handlers run on the client's loop; keep them short.</summary>
    public event EventHandler<AmiSessionStartedEventArgs>? SessionStarted;

    public AmiConnectionState State
    {
        get
        {
            lock (_stateGate)
            {
                return _state;
            }
        }
    }

    /// <summary>Unsolicited events (not the answers to our actions), in wire order.</summary>
    public ChannelReader<AmiMessage> Events => _events.Reader;

    /// <summary>Events dropped because the consumer of <see cref="Events"/> fell behind.</summary>
    public long DroppedEvents => Interlocked.Read(ref _droppedEvents);

    /// <summary>Successful logins so far (1 after the first connection).</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>Starts the connect/reconnect loop in the background and returns at once.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!_run.IsCompleted)
        {
            throw new InvalidOperationException("The AMI client is already running.");
        }
        _run = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Waits for a logged-in session (the current one or the next).</summary>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_stateGate)
        {
            return _connectedSignal.Task.WaitAsync(cancellationToken);
        }
    }

    public Task<AmiResponse> SendActionAsync(AmiMessage action, CancellationToken cancellationToken) =>
        SendActionAsync(action, _options.ActionTimeout, cancellationToken);

    /// <summary>Sends an action on the current session. Fails with <see cref="AmiDisconnectedException"/> when there is none or it drops meanwhile.</summary>
    public Task<AmiResponse> SendActionAsync(AmiMessage action, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        AmiConnection? connection;
        lock (_stateGate)
        {
            connection = _state == AmiConnectionState.Connected ? _connection : null;
        }
        return connection is null
            ? Task.FromException<AmiResponse>(new AmiDisconnectedException("AMI is not connected."))
            : connection.SendAsync(action, timeout, cancellationToken);
    }

    /// <summary>Logs off cleanly (bounded by <paramref name="cancellationToken"/> and the action timeout) and stops reconnecting.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        AmiConnection? connection;
        lock (_stateGate)
        {
            if (_disposed)
            {
                // A host may stop its services after the container disposed the client: nothing is left to stop.
                return;
            }
            connection = _state == AmiConnectionState.Connected ? _connection : null;
            _state = AmiConnectionState.Stopped;
        }
        if (connection is not null)
        {
            try
            {
                await connection.SendAsync(new AmiMessage(("Action", "Logoff")), _options.ActionTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmiException or OperationCanceledException)
            {
                _logger.LogDebug("AMI Logoff not acknowledged: {Reason}", ex.Message);
            }
        }
        try
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Disposed during the Logoff above (a host's dispose racing its stop): the dispose stopped everything already.
            return;
        }
        await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        _events.Writer.TryComplete();
    }

    /// <summary>Stops at once, without Logoff (use <see cref="StopAsync"/> for a clean goodbye).</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_stateGate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            _state = AmiConnectionState.Stopped;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _events.Writer.TryComplete();
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var failedAttempts = 0;
        while (!stopping.IsCancellationRequested)
        {
            SetState(AmiConnectionState.Connecting, null);
            AmiConnection? connection = null;
            try
            {
                connection = await AmiConnection.OpenAsync(_options, OnEvent, _logger, stopping).ConfigureAwait(false);
                await AmiAuthenticator.LoginAsync(connection, _options, stopping).ConfigureAwait(false);
                failedAttempts = 0;
                var isReconnect = Interlocked.Increment(ref _sessions) > 1;
                SetState(AmiConnectionState.Connected, connection);
                _logger.LogInformation("AMI logged in to {Host}:{Port} ({Banner})", _options.Host, _options.Port, connection.Banner);
                RaiseSessionStarted(new AmiSessionStartedEventArgs(isReconnect, connection.Banner));
                await KeepAliveAsync(connection, stopping).ConfigureAwait(false);
                _logger.LogWarning("AMI connection to {Host}:{Port} lost; reconnecting", _options.Host, _options.Port);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Whatever went wrong with this attempt, the loop must survive it and try again later.
                failedAttempts++;
                _logger.LogWarning("AMI connection attempt {Attempt} to {Host}:{Port} failed: {Reason}", failedAttempts, _options.Host, _options.Port, ex.Message);
            }
            finally
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
                SetState(stopping.IsCancellationRequested ? AmiConnectionState.Stopped : AmiConnectionState.Disconnected, null);
            }

            try
            {
                await Task.Delay(_backoff.DelayAfter(Math.Max(failedAttempts - 1, 0)), stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        SetState(AmiConnectionState.Stopped, null);
    }

    /// <summary>Returns when the connection is gone: closed by Asterisk, or declared dead after an unanswered Ping.</summary>
    private async Task KeepAliveAsync(AmiConnection connection, CancellationToken stopping)
    {
        var interval = _options.PingInterval;
        while (!connection.Completion.IsCompleted)
        {
            var idle = TimeSpan.FromMilliseconds(connection.IdleMilliseconds);
            if (idle < interval)
            {
                await Task.WhenAny(connection.Completion, Task.Delay(interval - idle, stopping)).ConfigureAwait(false);
                stopping.ThrowIfCancellationRequested();
                continue;
            }
            try
            {
                await connection.SendAsync(new AmiMessage(("Action", "Ping")), _options.PingTimeout, stopping).ConfigureAwait(false);
            }
            catch (AmiActionTimeoutException)
            {
                _logger.LogWarning("AMI Ping unanswered for {Timeout}; dropping the connection", _options.PingTimeout);
                connection.Abort();
            }
            catch (AmiDisconnectedException)
            {
                // The read loop has seen the end already; Completion is done.
            }
        }
    }

    private void OnEvent(AmiMessage message) => _events.Writer.TryWrite(message);

    private void SetState(AmiConnectionState state, AmiConnection? connection)
    {
        lock (_stateGate)
        {
            if (_state == AmiConnectionState.Stopped && state != AmiConnectionState.Stopped)
            {
                return;
            }
            _state = state;
            _connection = connection;
            if (state == AmiConnectionState.Connected)
            {
                _connectedSignal.TrySetResult();
            }
            else if (_connectedSignal.Task.IsCompleted)
            {
                _connectedSignal = NewSignal();
            }
        }
    }

    private void RaiseSessionStarted(AmiSessionStartedEventArgs args)
    {
        try
        {
            SessionStarted?.Invoke(this, args);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "AMI SessionStarted handler failed");
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
