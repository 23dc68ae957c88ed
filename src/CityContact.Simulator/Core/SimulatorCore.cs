using System.Globalization;
using System.Text.Json;
using CityContact.Simulator.Changes;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Simulator.Core;

/// <summary>
/// The single owner of the simulated Asterisk's state. Every mutation (REST request, SIP-side stimulus, timer) runs
/// under <see cref="_gate"/>, and events are queued to the sockets while it is held, so events of one call leave in
/// the order they were produced and no two requests or timers ever interleave inside the state machine.
/// </summary>
internal sealed partial class SimulatorCore : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _idEpoch;
    private int _channelCounter;
    private readonly List<Action<StateChange>> _observers = [];
    private readonly List<Action<AriEvent>> _sentEventObservers = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private readonly HashSet<ITimer> _timers = [];
    private readonly Queue<Action> _deferred = new();
    private int _depth;
    private readonly Queue<AriRequestRecord> _requests = new();
    private readonly Dictionary<string, StasisApp> _apps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimChannel> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimBridge> _bridges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimPlayback> _playbacks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimLiveRecording> _liveRecordings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimEndpoint> _endpoints = new(StringComparer.Ordinal);
    private bool _shutDown;

    public SimulatorCore(SimulatorOptions options)
    {
        Options = options;
        _time = options.Time;
        _idEpoch = _time.GetUtcNow().ToUnixTimeSeconds();
        RecordingsDirectory = options.RecordingsDirectory
            ?? Path.Combine(Path.GetTempPath(), "citycontact-sim-recordings", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(RecordingsDirectory);
        _endpoints[options.TrunkEndpoint] = new SimEndpoint { Technology = "PJSIP", Resource = options.TrunkEndpoint, IsRegistered = options.TrunkReachable };
        foreach (var phone in options.PhoneEndpoints)
        {
            _endpoints[phone] = new SimEndpoint { Technology = "PJSIP", Resource = phone, IsPhone = true };
        }
    }

    public SimulatorOptions Options { get; }

    public string RecordingsDirectory { get; }

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Runs <paramref name="read"/> under the lock, for reads from the scripting API.</summary>
    public T Read<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    /// <summary>Runs a mutation under the lock and wakes the waiters whose condition now holds.</summary>
    public T Mutate<T>(Func<T> mutation)
    {
        lock (_gate)
        {
            _depth++;
            T result;
            try
            {
                result = mutation();
            }
            finally
            {
                _depth--;
            }
            Settle();
            return result;
        }
    }

    public void Mutate(Action mutation) => Mutate(() =>
    {
        mutation();
        return true;
    });

    /// <summary>
    /// After the outermost mutation: runs the timer actions that fired while it was running (a virtual clock fires a
    /// due-now timer synchronously, on the thread that holds the lock), in firing order, so a timer never runs in the
    /// middle of another mutation; then wakes the waiters.
    /// </summary>
    private void Settle()
    {
        if (_depth > 0)
        {
            return;
        }
        while (_deferred.TryDequeue(out var action))
        {
            _depth++;
            try
            {
                action();
            }
            finally
            {
                _depth--;
            }
        }
        SignalWaiters();
    }

    public async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (condition())
            {
                return;
            }
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, done));
        }
        using var registration = ct.Register(() =>
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Done == done);
            }
            done.TrySetCanceled(ct);
        });
        await done.Task.ConfigureAwait(false);
    }

    private void SignalWaiters()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Condition())
            {
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    public IDisposable Subscribe(Action<StateChange> observer)
    {
        lock (_gate)
        {
            _observers.Add(observer);
        }
        return new Unsubscriber(() => _observers.Remove(observer), _gate);
    }

    /// <summary>
    /// Observes every ARI event as it is queued to an application's WebSocket (stamped with its type and timestamp),
    /// for benchmarks that time the app's reactions. Called under the lock; nothing is done when nobody subscribed.
    /// </summary>
    public IDisposable SubscribeSentEvents(Action<AriEvent> observer)
    {
        lock (_gate)
        {
            _sentEventObservers.Add(observer);
        }
        return new Unsubscriber(() => _sentEventObservers.Remove(observer), _gate);
    }

    private sealed class Unsubscriber(Func<bool> remove, Lock gate) : IDisposable
    {
        public void Dispose()
        {
            lock (gate)
            {
                remove();
            }
        }
    }

    private void Publish(StateChange change)
    {
        foreach (var observer in _observers)
        {
            observer(change);
        }
    }

    /// <summary>Schedules <paramref name="action"/> on the simulator's clock; it runs under the lock unless the simulator has shut down.</summary>
    private ITimer Schedule(TimeSpan due, Action action)
    {
        ITimer? timer = null;
        void Fire()
        {
            if (timer is not null)
            {
                _timers.Remove(timer);
                timer.Dispose();
            }
            if (!_shutDown)
            {
                action();
            }
        }
        timer = _time.CreateTimer(_ =>
        {
            if (_gate.IsHeldByCurrentThread)
            {
                _deferred.Enqueue(Fire);
                return;
            }
            lock (_gate)
            {
                if (_depth > 0)
                {
                    _deferred.Enqueue(Fire);
                    return;
                }
                _depth++;
                try
                {
                    Fire();
                }
                finally
                {
                    _depth--;
                }
                Settle();
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timers.Add(timer);
        timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        return timer;
    }

    private void Cancel(ITimer? timer)
    {
        if (timer is not null)
        {
            _timers.Remove(timer);
            timer.Dispose();
        }
    }

    private string NextChannelId() => string.Create(CultureInfo.InvariantCulture, $"{_idEpoch}.{++_channelCounter}");

    private string NextChannelName(string endpoint) => string.Create(CultureInfo.InvariantCulture, $"PJSIP/{endpoint}-{_channelCounter:x8}");

    public void RecordRequest(AriRequestRecord record)
    {
        lock (_gate)
        {
            _requests.Enqueue(record);
            // A long `make run` would otherwise keep every request forever: keep the newest only.
            if (_requests.Count > Options.MaxRecordedRequests)
            {
                _requests.Dequeue();
            }
            SignalWaiters();
        }
    }

    public IReadOnlyList<AriRequestRecord> SnapshotRequests() => Read(() => _requests.ToArray());

    public void Shutdown()
    {
        lock (_gate)
        {
            _shutDown = true;
            foreach (var timer in _timers)
            {
                timer.Dispose();
            }
            _timers.Clear();
            foreach (var app in _apps.Values)
            {
                app.Socket?.Close();
            }
            foreach (var waiter in _waiters)
            {
                waiter.Done.TrySetCanceled();
            }
            _waiters.Clear();
        }
    }

    public void Dispose() => Shutdown();

    // ---- Events to the application ----

    /// <summary>Sends an ARI event to <paramref name="app"/>'s WebSocket if one is connected; Asterisk drops it otherwise.</summary>
    /// <param name="copies">How many times the same frame goes out: Asterisk delivers a message once per subscription that forwards it (see <see cref="SendChannelEvent"/>).</param>
    /// <param name="at">The event's timestamp; now unless told.</param>
    private void Send(string? app, AriEvent ev, int copies = 1, DateTimeOffset? at = null)
    {
        if (app is null || !_apps.TryGetValue(app, out var registered) || registered.Socket is null)
        {
            return;
        }
        var type = ev.GetType().Name;
        if (!registered.Allows(type))
        {
            return;
        }
        var stamped = ev with { Type = type, Timestamp = at ?? Now, AsteriskId = Options.AsteriskId, Application = app };
        var frame = JsonSerializer.Serialize(stamped, stamped.GetType(), AriJsonContext.Default);
        for (var i = 0; i < copies; i++)
        {
            registered.Socket.Enqueue(frame);
            foreach (var observer in _sentEventObservers)
            {
                observer(stamped);
            }
        }
    }

    /// <summary>
    /// An event of a channel's topic (state, varset, DTMF, hangup request, dial, playback and recording of the channel…).
    /// Asterisk forwards that topic to every app subscribed to the channel (<paramref name="directApp"/>: the channel's Stasis
    /// app, or the app that originated it) and, through the endpoint's topic, to every app subscribed to the channel's
    /// endpoint (endpoint:PJSIP or endpoint:PJSIP/trunk). An app with both subscriptions gets the same frame twice
    /// (ari-endpoint-subscription-duplicates.json); an app with only the endpoint one gets it once, in Stasis or not.
    /// </summary>
    private void SendChannelEvent(SimChannel channel, AriEvent ev, string? directApp, DateTimeOffset? at = null)
    {
        if (directApp is not null)
        {
            Send(directApp, ev, 1 + (SubscribesToEndpointOf(directApp, channel) ? 1 : 0), at);
        }
        foreach (var app in _apps.Values.Where(a => a.Name != directApp && SubscribesToEndpointOf(a.Name, channel)).ToArray())
        {
            Send(app.Name, ev, at: at);
        }
    }

    private void SendChannelEvent(SimChannel channel, AriEvent ev, DateTimeOffset? at = null) => SendChannelEvent(channel, ev, channel.SubscribedApp, at);

    /// <summary>Only through the endpoint's topic: what Asterisk publishes before the app subscribes to the channel, or after it lets go.</summary>
    private void SendToEndpointSubscribers(SimChannel channel, AriEvent ev) => SendChannelEvent(channel, ev, directApp: null);

    private bool SubscribesToEndpointOf(string app, SimChannel channel) =>
        channel.Endpoint is { } endpoint && _apps.TryGetValue(app, out var a) && SubscribesTo(a, endpoint);

    private static bool SubscribesTo(StasisApp app, SimEndpoint endpoint) =>
        app.EndpointSubscriptions.Contains(endpoint.DeviceName) || app.EndpointSubscriptions.Contains(endpoint.Technology);

    private Channel ToAri(SimChannel c) => new()
    {
        Id = c.Id,
        Name = c.Name,
        State = c.State,
        ProtocolId = c.ProtocolId,
        Caller = new CallerID { Name = c.CallerName, Number = c.CallerNumber },
        Connected = new CallerID { Name = c.ConnectedName, Number = c.ConnectedNumber },
        Accountcode = "",
        Dialplan = new DialplanCEP { Context = c.Context, Exten = c.Exten, Priority = c.Priority, AppName = c.AppName, AppData = c.AppData },
        Creationtime = c.CreatedAt,
        Language = c.Language,
    };

    private static ChannelInfo ToInfo(SimChannel c) => new(
        c.Id, c.LinkedId, c.Name, c.State, StateCode(c.State), c.CallerNumber, c.CallerName, c.ConnectedNumber, c.ConnectedName,
        c.Context, c.Exten, (int)c.Priority, c.AppName, c.AppData, c.Language, "", c.EndpointName, c.ProtocolId, c.InStasis, c.CreatedAt);

    private static int StateCode(string state) => state switch
    {
        "Down" => 0,
        "Rsrvd" => 1,
        "OffHook" => 2,
        "Dialing" => 3,
        "Ring" => 4,
        "Ringing" => 5,
        "Up" => 6,
        "Busy" => 7,
        _ => 10,
    };

    public IReadOnlyList<ChannelInfo> SnapshotChannels() => Read(() => _channels.Values.Select(ToInfo).ToArray());
}
