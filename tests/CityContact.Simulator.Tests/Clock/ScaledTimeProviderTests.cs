using System.Collections.Concurrent;
using CityContact.Simulator.Clock;
using Xunit;

namespace CityContact.Simulator.Tests.Clock;

public sealed class ScaledTimeProviderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Many_timers_fire_in_the_order_of_their_virtual_due_times()
    {
        // At ×10,000 one virtual millisecond is 100 ns of real time: far below the system timer's resolution.
        var clock = new ScaledTimeProvider(10_000);
        var fired = new ConcurrentQueue<int>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var random = new Random(7);
        var dueTimes = Enumerable.Range(0, 300).Select(_ => TimeSpan.FromMilliseconds(random.Next(1_000, 60_000))).ToArray();
        var timers = new List<ITimer>();
        // A timer is due at (its creation time + its due time); the creation time is only known between two readings.
        var dueBetween = new (long Earliest, long Latest)[dueTimes.Length];
        for (var i = 0; i < dueTimes.Length; i++)
        {
            var index = i;
            var before = clock.GetTimestamp();
            timers.Add(clock.CreateTimer(_ =>
            {
                fired.Enqueue(index);
                if (fired.Count == dueTimes.Length)
                {
                    all.TrySetResult();
                }
            }, null, dueTimes[i], Timeout.InfiniteTimeSpan));
            dueBetween[i] = (before + dueTimes[i].Ticks, clock.GetTimestamp() + dueTimes[i].Ticks);
        }

        await all.Task.WaitAsync(Wait);

        var order = fired.ToArray();
        Assert.Equal(dueTimes.Length, order.Distinct().Count());
        for (var n = 1; n < order.Length; n++)
        {
            var (earlier, later) = (dueBetween[order[n - 1]], dueBetween[order[n]]);
            Assert.True(later.Latest >= earlier.Earliest, $"timer {order[n]} was due before timer {order[n - 1]} but fired after it");
        }
        timers.ForEach(t => t.Dispose());
    }

    [Fact]
    public async Task A_twenty_minute_delay_takes_milliseconds_and_the_virtual_clock_advances_by_twenty_minutes()
    {
        var clock = new ScaledTimeProvider(60_000, start: new DateTimeOffset(2025, 3, 3, 8, 0, 0, TimeSpan.Zero));
        var before = clock.GetUtcNow();
        var realStart = TimeProvider.System.GetTimestamp();

        await Task.Delay(TimeSpan.FromMinutes(20), clock).WaitAsync(Wait);

        Assert.True(clock.GetUtcNow() - before >= TimeSpan.FromMinutes(20));
        Assert.True(TimeProvider.System.GetElapsedTime(realStart) < Wait);
    }

    [Fact]
    public async Task Timestamps_and_elapsed_time_are_the_real_elapsed_time_times_the_factor()
    {
        var clock = new ScaledTimeProvider(1_000);
        var realBeforeStart = TimeProvider.System.GetTimestamp();
        var timestamp = clock.GetTimestamp();
        var utc = clock.GetUtcNow();
        var realAfterStart = TimeProvider.System.GetTimestamp();

        await Task.Delay(TimeSpan.FromSeconds(50), clock).WaitAsync(Wait);
        var shortestReal = TimeProvider.System.GetElapsedTime(realAfterStart);
        var virtualElapsed = clock.GetElapsedTime(timestamp);
        var virtualUtcElapsed = clock.GetUtcNow() - utc;
        var longestReal = TimeProvider.System.GetElapsedTime(realBeforeStart);

        Assert.True(virtualElapsed >= TimeSpan.FromSeconds(50), $"elapsed {virtualElapsed}");
        // The virtual interval lies between two real intervals that bracket it, each × 1000.
        Assert.InRange(virtualElapsed.TotalMilliseconds, shortestReal.TotalMilliseconds * 1_000 - 1, longestReal.TotalMilliseconds * 1_000 + 1);
        Assert.InRange(virtualUtcElapsed.TotalMilliseconds, virtualElapsed.TotalMilliseconds - 1, longestReal.TotalMilliseconds * 1_000 + 1);
    }

    [Fact]
    public async Task Change_moves_a_timer_and_Dispose_stops_it()
    {
        var clock = new ScaledTimeProvider(1_000);
        var order = new ConcurrentQueue<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Due in an hour (3.6 s of real time) so that even a stalled machine changes them before they are due.
        using var moved = clock.CreateTimer(_ => order.Enqueue("moved"), null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
        var disposed = clock.CreateTimer(_ => order.Enqueue("disposed"), null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
        using var last = clock.CreateTimer(_ => done.TrySetResult(), null, TimeSpan.FromSeconds(20), Timeout.InfiniteTimeSpan);
        using var middle = clock.CreateTimer(_ => order.Enqueue("middle"), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);

        Assert.True(moved.Change(TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan));
        disposed.Dispose();
        Assert.False(disposed.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
        await done.Task.WaitAsync(Wait);

        Assert.Equal(["middle", "moved"], order.ToArray());
    }

    [Fact]
    public async Task A_timer_changed_to_infinite_does_not_fire()
    {
        var clock = new ScaledTimeProvider(10);
        var fired = false;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var paused = clock.CreateTimer(_ => fired = true, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var later = clock.CreateTimer(_ => done.TrySetResult(), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);

        paused.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        await done.Task.WaitAsync(Wait);

        Assert.False(fired);
    }

    [Fact]
    public async Task A_periodic_timer_ticks_at_its_virtual_period_until_disposed()
    {
        var clock = new ScaledTimeProvider(100);
        var ticks = new ConcurrentQueue<DateTimeOffset>();
        var fifth = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = clock.GetUtcNow();
        var periodic = clock.CreateTimer(_ =>
        {
            ticks.Enqueue(clock.GetUtcNow());
            if (ticks.Count == 5)
            {
                fifth.TrySetResult();
            }
        }, null, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));

        await fifth.Task.WaitAsync(Wait);
        periodic.Dispose();
        var countAtDispose = ticks.Count;
        await Task.Delay(TimeSpan.FromSeconds(60), clock).WaitAsync(Wait);

        var times = ticks.Take(5).Select(t => (t - start).TotalSeconds).ToArray();
        for (var i = 0; i < 5; i++)
        {
            // The n-th tick is due at 10·n virtual seconds: never early (a loaded machine may make it late, by its stall × 100).
            Assert.True(times[i] >= 10 * (i + 1), $"tick {i + 1} at {times[i]} s");
        }
        Assert.InRange(ticks.Count, countAtDispose, countAtDispose + 1);
    }

    [Fact]
    public void Local_time_uses_the_given_zone_and_start()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("test+2", TimeSpan.FromHours(2), "test+2", "test+2");
        var clock = new ScaledTimeProvider(1, start: new DateTimeOffset(2025, 3, 3, 6, 0, 0, TimeSpan.Zero), localTimeZone: zone);

        var local = clock.GetLocalNow();

        Assert.Equal(8, local.Hour);
        Assert.Equal(TimeSpan.FromHours(2), local.Offset);
    }

    [Fact]
    public void A_factor_that_is_not_positive_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScaledTimeProvider(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScaledTimeProvider(double.NaN));
    }
}
