using CityContact.Simulator.Clock;
using CityContact.Simulator.Traffic;
using Xunit;

namespace CityContact.Simulator.Tests.Traffic;

public sealed class LoadGeneratorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Keeps_the_configured_number_of_calls_up_redials_after_the_hold_time_and_hangs_up_everything_on_stop()
    {
        // Hold times of 60-90 virtual seconds at 20× are 3-4.5 real seconds: longer than dialling 100 calls takes on a
        // loaded runner, so none has ended and redialled before the first counts are read (at 60× one had, once).
        var clock = new ScaledTimeProvider(20);
        await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions { Time = clock, DefaultMediaLength = TimeSpan.FromHours(1) });
        await using var app = await FakeStasisApp.StartAsync(sim, async call =>
        {
            await call.AnswerAsync();
            await call.PlayAsync("sound:long-prompt");
        });
        var load = LoadGenerator.Start(sim, new LoadOptions { HoldTime = DurationRange.Seconds(60, 90), Seed = 1 }, 100);

        await sim.WaitUntilAsync(_ => load.Counters.Answered >= 100).WaitAsync(Wait);
        Assert.Equal(100, load.Counters.ReachedStasis);
        Assert.InRange(sim.Channels.Count, 95, 100);

        // Every first call ends and is replaced.
        await sim.WaitUntilAsync(_ => load.Counters.EndedByCaller >= 100 && load.Counters.Answered >= 200).WaitAsync(Wait);
        Assert.InRange(sim.Channels.Count, 90, 100);
        Assert.Equal(0, load.Counters.EndedByApplication);

        await load.StopAsync();
        Assert.Empty(sim.Channels);
        Assert.Equal(0, load.Counters.Active);
        Assert.Empty(app.Failures);
    }

    [Fact]
    public async Task Lowering_the_concurrency_lets_the_extra_calls_end_and_raising_it_again_dials_them_back()
    {
        var clock = new ScaledTimeProvider(60);
        await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions { Time = clock });
        await using var app = await FakeStasisApp.StartAsync(sim, call => call.AnswerAsync());
        await using var load = LoadGenerator.Start(sim, new LoadOptions { HoldTime = DurationRange.Seconds(5, 10), Seed = 2 }, 20);
        await sim.WaitUntilAsync(_ => load.Counters.Answered >= 20).WaitAsync(Wait);

        load.ConcurrentCalls = 5;

        await sim.WaitUntilAsync(s => s.Channels.Count <= 5 && load.Counters.Active <= 5).WaitAsync(Wait);
        await sim.WaitUntilAsync(_ => load.Counters.Answered >= 40).WaitAsync(Wait);
        Assert.InRange(sim.Channels.Count, 0, 5);

        load.ConcurrentCalls = 20;

        await sim.WaitUntilAsync(s => s.Channels.Count == 20).WaitAsync(Wait);
    }
}
