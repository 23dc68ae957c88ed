using System.Diagnostics;

namespace CityContact.Simulator.Clock;

/// <summary>
/// A clock that runs <see cref="Factor"/> times faster than the wall clock: <c>GetUtcNow() = start + elapsed × factor</c>,
/// and a timer due in 20 minutes fires after 20 min ÷ factor of real time. Give the same instance to the simulator
/// (<see cref="SimulatorOptions.Time"/>) and to the service so both see one timeline.
/// </summary>
/// <remarks>
/// Timers are not handed to the system one by one: at a high factor two timers due a few virtual milliseconds apart
/// would be microseconds apart in real time, below the system timer's resolution, and could fire in either order.
/// Instead every timer waits in one queue ordered by virtual due time (then creation order) and a single pump invokes
/// the due callbacks one after the other, so a timer due earlier always runs first, as on a real clock.
/// What the scale cannot hide is processing latency: 1 ms spent handling an event is <c>factor</c> ms of virtual time,
/// so pick a factor that keeps the gaps that matter (e.g. a caller's patience versus a prompt's length) well above that.
/// For tests that step time by hand, use <c>FakeTimeProvider</c> (Microsoft.Extensions.TimeProvider.Testing) instead.
/// </remarks>
public sealed class ScaledTimeProvider : TimeProvider
{
    private readonly long _originTimestamp = Stopwatch.GetTimestamp();
    private readonly double _virtualTicksPerSystemTick;
    private readonly DateTimeOffset _start;
    private readonly TimeZoneInfo _localTimeZone;
    private readonly Lock _gate = new();
    private readonly PriorityQueue<ScaledTimer, (long Due, long Sequence)> _queue = new();
    private readonly ITimer _wakeUp;
    private long _sequence;
    private long _wakeUpAt = long.MaxValue;
    private bool _pumping;

    /// <param name="factor">How many virtual seconds pass per real second (1 = real time).</param>
    /// <param name="start">The virtual time at creation; defaults to the system's current time.</param>
    /// <param name="localTimeZone">The zone <see cref="TimeProvider.GetLocalNow"/> converts to; defaults to the system's.</param>
    public ScaledTimeProvider(double factor, DateTimeOffset? start = null, TimeZoneInfo? localTimeZone = null)
    {
        if (!double.IsFinite(factor) || factor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The clock factor must be a positive number.");
        }
        Factor = factor;
        _virtualTicksPerSystemTick = factor * TimeSpan.TicksPerSecond / Stopwatch.Frequency;
        _start = start ?? System.GetUtcNow();
        _localTimeZone = localTimeZone ?? TimeZoneInfo.Local;
        _wakeUp = System.CreateTimer(_ => Pump(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Virtual seconds per real second.</summary>
    public double Factor { get; }

    public override TimeZoneInfo LocalTimeZone => _localTimeZone;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Virtual ticks (100 ns) since this clock was created.</summary>
    public override long GetTimestamp() => ElapsedTicks();

    public override DateTimeOffset GetUtcNow() => _start.AddTicks(ElapsedTicks());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ScaledTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private long ElapsedTicks() => (long)((Stopwatch.GetTimestamp() - _originTimestamp) * _virtualTicksPerSystemTick);

    /// <summary>Queues <paramref name="timer"/> at <paramref name="due"/> (virtual ticks); returns the entry's sequence number. Called under <see cref="_gate"/>.</summary>
    private long Enqueue(ScaledTimer timer, long due)
    {
        var sequence = ++_sequence;
        _queue.Enqueue(timer, (due, sequence));
        if (!_pumping && due < _wakeUpAt)
        {
            ArmWakeUp(due);
        }
        return sequence;
    }

    /// <summary>Runs every due timer in (due time, creation) order, one at a time, then sleeps until the next one is due.</summary>
    private void Pump()
    {
        lock (_gate)
        {
            if (_pumping)
            {
                return;
            }
            _pumping = true;
            _wakeUpAt = long.MaxValue;
        }
        while (true)
        {
            ScaledTimer? due;
            lock (_gate)
            {
                due = TakeDue();
                if (due is null)
                {
                    _pumping = false;
                    return;
                }
            }
            due.Callback(due.State);
        }
    }

    /// <summary>Dequeues the head if it is due (re-queuing it when periodic), else arms the wake-up for it. Called under <see cref="_gate"/>.</summary>
    private ScaledTimer? TakeDue()
    {
        while (_queue.TryPeek(out var head, out var key))
        {
            if (head.ScheduledSequence != key.Sequence)
            {
                _queue.Dequeue(); // changed or disposed since it was queued
                continue;
            }
            var now = ElapsedTicks();
            if (key.Due > now)
            {
                ArmWakeUp(key.Due);
                return null;
            }
            _queue.Dequeue();
            head.ScheduledSequence = -1;
            if (head.Period > 0)
            {
                // Like System.Threading.Timer: keep the cadence, but do not burst to catch up after a stall.
                var next = key.Due + head.Period;
                head.ScheduledSequence = Enqueue(head, next > now ? next : now + head.Period);
            }
            return head;
        }
        return null;
    }

    private void ArmWakeUp(long due)
    {
        _wakeUpAt = due;
        var realTicks = Math.Max(0, due - ElapsedTicks()) / Factor;
        // The system timer counts whole milliseconds: round up so it never wakes before the head is due.
        var milliseconds = Math.Max(1, Math.Ceiling(realTicks / TimeSpan.TicksPerMillisecond));
        _wakeUp.Change(TimeSpan.FromMilliseconds(Math.Min(milliseconds, int.MaxValue - 1)), Timeout.InfiniteTimeSpan);
    }

    /// <summary>A timer of this clock; its fields are guarded by the clock's lock.</summary>
    private sealed class ScaledTimer(ScaledTimeProvider clock, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public TimerCallback Callback => callback;

        public object? State => state;

        /// <summary>The queue entry that is current; entries with another sequence are stale.</summary>
        public long ScheduledSequence { get; set; } = -1;

        public long Period { get; private set; } = -1;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ValidateInterval(dueTime, nameof(dueTime));
            ValidateInterval(period, nameof(period));
            lock (clock._gate)
            {
                if (_disposed)
                {
                    return false;
                }
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? -1 : period.Ticks;
                ScheduledSequence = dueTime == Timeout.InfiniteTimeSpan ? -1 : clock.Enqueue(this, clock.ElapsedTicks() + dueTime.Ticks);
                return true;
            }
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                _disposed = true;
                ScheduledSequence = -1;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private static void ValidateInterval(TimeSpan value, string name)
        {
            if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be non-negative or Timeout.InfiniteTimeSpan.");
            }
        }
    }
}
