using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using CityContact.Simulator.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityContact.Simulator.Ami;

/// <summary>
/// The simulated Asterisk Manager Interface: a TCP listener (port 0 by default) serving any number of sessions,
/// with the simulator's state changes turned into AMI events for every logged-in session.
/// </summary>
public sealed class AmiServer : IAsyncDisposable
{
    private readonly AmiServerOptions _options;
    private readonly IAmiStateSource _state;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<AmiServerSession, Task> _sessions = new();
    private readonly Channel<StateChange> _changes = Channel.CreateUnbounded<StateChange>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly AmiOriginates _originates = new();
    private AmiEventTranslator? _translator;
    private TcpListener? _listener;
    private IDisposable? _subscription;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _eventPump = Task.CompletedTask;
    private AmiServerActions? _actions;

    public AmiServer(AmiServerOptions options, IAmiStateSource state, ILogger<AmiServer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(state);
        _options = options;
        _state = state;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The bound TCP port (the real one when configured as 0).</summary>
    public int Port { get; private set; }

    public int SessionCount => _sessions.Count;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _actions = new AmiServerActions(_options, _state, _originates, _options.Time.GetUtcNow());
        _listener = new TcpListener(IPAddress.Parse(_options.ListenAddress), _options.Port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _translator = new AmiEventTranslator(_state.Endpoints.Where(e => e.IsTrunk).Select(e => e.Name).ToHashSet(StringComparer.Ordinal), _originates);
        _subscription = _state.Subscribe(change => _changes.Writer.TryWrite(change));
        _acceptLoop = Task.Run(() => AcceptLoopAsync(_stopping.Token), CancellationToken.None);
        _eventPump = Task.Run(() => PumpEventsAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Drops every connection at once without a word, as an Asterisk crash or restart does.</summary>
    public void DropConnections()
    {
        foreach (var session in _sessions.Keys)
        {
            session.Abort();
        }
    }

    /// <summary>Waits until every state change published so far has been turned into events and queued to the sessions.</summary>
    public async Task FlushEventsAsync(CancellationToken cancellationToken)
    {
        while (_changes.Reader.Count > 0)
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient tcp;
            try
            {
                tcp = await _listener!.AcceptTcpClientAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            tcp.NoDelay = true;
            var session = new AmiServerSession(tcp, _actions!, _logger, _options.Time.GetUtcNow()) { EventFilter = _options.EventFilter };
            _sessions[session] = RunSessionAsync(session, stopping);
        }
    }

    private async Task RunSessionAsync(AmiServerSession session, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await session.RunAsync(_options.Banner, stopping).ConfigureAwait(false);
        }
        finally
        {
            _sessions.TryRemove(session, out _);
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task PumpEventsAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var change in _changes.Reader.ReadAllAsync(stopping).ConfigureAwait(false))
            {
                IReadOnlyList<Telephony.Ami.AmiMessage> frames;
                try
                {
                    frames = _translator!.Translate(change);
                }
                catch (Exception ex)
                {
                    // One change the translator cannot handle must not silence every later event.
                    _logger.LogError(ex, "AMI: no events for {Change}", change.GetType().Name);
                    continue;
                }
                foreach (var frame in frames)
                {
                    foreach (var session in _sessions.Keys)
                    {
                        session.SendEvent(frame);
                    }
                }
                if (change is AsteriskShuttingDown)
                {
                    // Asterisk closes every AMI connection right after its Shutdown event.
                    foreach (var session in _sessions.Keys)
                    {
                        session.CloseAfterPendingWrites();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _subscription?.Dispose();
        _listener?.Stop();
        DropConnections();
        await _acceptLoop.ConfigureAwait(false);
        await _eventPump.ConfigureAwait(false);
        await Task.WhenAll(_sessions.Values).ConfigureAwait(false);
        _listener?.Dispose();
        _stopping.Dispose();
    }
}
