using System.Collections.Concurrent;
using System.Diagnostics;
using CityContact.Simulator.Changes;
using CityContact.Simulator.Scripting;

namespace CityContact.Simulator.Traffic;

/// <summary>How the load generator's calls look.</summary>
public sealed class LoadOptions
{
    public string CalledNumber { get; init; } = "0256969";

    public string CallerNumberPrefix { get; init; } = "+40256";

    /// <summary>How long a caller stays on the line (unless the application hangs up first) before hanging up and redialing.</summary>
    public DurationRange HoldTime { get; init; } = DurationRange.Seconds(30, 180);

    public int? Seed { get; init; }
}

/// <summary>The load generator's tallies (a snapshot); latencies are measured on the wall clock.</summary>
/// <param name="Active">Calls up right now (dialed, not yet ended).</param>
/// <param name="ReachedStasis">Calls that got a StasisStart.</param>
/// <param name="Answered">Calls the application answered.</param>
/// <param name="EndedByCaller">Calls the generator hung up at the end of their hold time (or on stop).</param>
/// <param name="EndedByApplication">Calls that ended before their hold time (the app hung up, or 603 with no app).</param>
/// <param name="MaxAnswerLatency">Longest wall-clock time from INVITE to the channel being Up.</param>
public sealed record LoadCounters(
    long Dialed,
    long Active,
    long ReachedStasis,
    long Answered,
    long EndedByCaller,
    long EndedByApplication,
    TimeSpan MaxAnswerLatency,
    TimeSpan MeanAnswerLatency);

/// <summary>
/// Keeps <see cref="ConcurrentCalls"/> trunk calls up for benchmarks: each slot dials, holds for a drawn time or until
/// the application hangs up, then redials. Calls are followed through the simulator's state changes, in O(1) per
/// change, so thousands of calls do not make the simulator re-evaluate thousands of wait conditions.
/// </summary>
public sealed class LoadGenerator : IAsyncDisposable
{
    // The INVITE publishes ChannelCreated synchronously on the dialing thread, before Dial returns the channel id:
    // this tells the state-change observer which call the new channel belongs to.
    [ThreadStatic]
    private static LoadCall? t_dialing;

    private readonly AsteriskSimulator _sim;
    private readonly LoadOptions _options;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, LoadCall> _calls = new(StringComparer.Ordinal);
    private readonly List<Task> _slots = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly IDisposable _subscription;
    private int _target;
    private long _dialed;
    private long _reachedStasis;
    private long _answered;
    private long _endedByCaller;
    private long _endedByApplication;
    private long _answerLatencyTicksTotal;
    private long _answerLatencyTicksMax;

    private LoadGenerator(AsteriskSimulator sim, LoadOptions options)
    {
        _sim = sim;
        _options = options;
        _random = new Random(options.Seed ?? Random.Shared.Next());
        _subscription = sim.SubscribeStateChanges(OnChange);
    }

    public static LoadGenerator Start(AsteriskSimulator sim, LoadOptions options, int concurrentCalls)
    {
        ArgumentNullException.ThrowIfNull(sim);
        ArgumentNullException.ThrowIfNull(options);
        var generator = new LoadGenerator(sim, options);
        generator.ConcurrentCalls = concurrentCalls;
        return generator;
    }

    /// <summary>Calls to keep up. Raising it dials the new calls at once; lowering it lets the extra calls end at their hold time.</summary>
    public int ConcurrentCalls
    {
        get => Volatile.Read(ref _target);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
                _target = value;
                for (var slot = _slots.Count; slot < value; slot++)
                {
                    var index = slot;
                    var seed = _random.Next();
                    _slots.Add(Task.Run(() => RunSlotAsync(index, new Random(seed), _stopping.Token)));
                }
            }
        }
    }

    public LoadCounters Counters
    {
        get
        {
            var answered = Interlocked.Read(ref _answered);
            var dialed = Interlocked.Read(ref _dialed);
            var ended = Interlocked.Read(ref _endedByCaller) + Interlocked.Read(ref _endedByApplication);
            return new LoadCounters(
                dialed, dialed - ended, Interlocked.Read(ref _reachedStasis), answered, Interlocked.Read(ref _endedByCaller),
                Interlocked.Read(ref _endedByApplication), TimeSpan.FromTicks(Interlocked.Read(ref _answerLatencyTicksMax)),
                answered == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Interlocked.Read(ref _answerLatencyTicksTotal) / answered));
        }
    }

    private async Task RunSlotAsync(int slot, Random random, CancellationToken stopping)
    {
        var time = _sim.Options.Time;
        while (!stopping.IsCancellationRequested && slot < ConcurrentCalls)
        {
            var call = new LoadCall(Stopwatch.GetTimestamp());
            SimulatedCaller caller;
            t_dialing = call;
            try
            {
                caller = _sim.Trunk.Dial(_options.CallerNumberPrefix + random.Next(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture), _options.CalledNumber);
            }
            finally
            {
                t_dialing = null;
            }
            Interlocked.Increment(ref _dialed);
            try
            {
                var hold = Task.Delay(random.Between(_options.HoldTime), time, stopping);
                if (await Task.WhenAny(call.Ended.Task, hold) == hold)
                {
                    await caller.HangUpAsync(CancellationToken.None);
                    Interlocked.Increment(ref _endedByCaller);
                }
                else
                {
                    Interlocked.Increment(ref _endedByApplication);
                }
            }
            finally
            {
                if (!call.Ended.Task.IsCompleted && stopping.IsCancellationRequested)
                {
                    await caller.HangUpAsync(CancellationToken.None);
                    Interlocked.Increment(ref _endedByCaller);
                }
                if (!call.Ended.Task.IsCompleted)
                {
                    // A call declined with 603 (no application) ends without being hung up by anyone here.
                    await caller.WaitForHangupAsync(CancellationToken.None);
                }
                _calls.TryRemove(caller.ChannelId, out _);
            }
        }
    }

    // Called under the simulator's lock: only updates tallies and completes tasks (their continuations run elsewhere).
    private void OnChange(StateChange change)
    {
        switch (change)
        {
            case ChannelCreated created when t_dialing is { } dialing:
                _calls[created.Channel.UniqueId] = dialing;
                break;
            case StasisEntered entered when _calls.ContainsKey(entered.Channel.UniqueId):
                Interlocked.Increment(ref _reachedStasis);
                break;
            case ChannelStateChanged { Channel.State: "Up" } up when _calls.TryGetValue(up.Channel.UniqueId, out var call):
                var latency = Stopwatch.GetElapsedTime(call.DialedAt).Ticks;
                Interlocked.Increment(ref _answered);
                Interlocked.Add(ref _answerLatencyTicksTotal, latency);
                long max;
                while (latency > (max = Interlocked.Read(ref _answerLatencyTicksMax))
                    && Interlocked.CompareExchange(ref _answerLatencyTicksMax, latency, max) != max)
                {
                }
                break;
            case ChannelDestroyed destroyed when _calls.TryGetValue(destroyed.Channel.UniqueId, out var call):
                call.Ended.TrySetResult();
                break;
        }
    }

    /// <summary>Hangs up every call and stops redialing.</summary>
    public async Task StopAsync()
    {
        Task[] slots;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            _stopping.Cancel();
            slots = [.. _slots];
        }
        try
        {
            await Task.WhenAll(slots);
        }
        catch (OperationCanceledException)
        {
            // Slots end by cancellation of their hold time.
        }
        _subscription.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    private sealed class LoadCall(long dialedAt)
    {
        public long DialedAt { get; } = dialedAt;

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
