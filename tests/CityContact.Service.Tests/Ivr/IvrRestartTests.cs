using CityContact.Service.Features.Calls;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Simulator;
using CityContact.Simulator.Clock;

namespace CityContact.Service.Tests.Ivr;

/// <summary>
/// Two service instances, one after the other, against the same simulator, database and clock: a rolling restart. With a
/// clock of its own, the next instance could read its listing as earlier than the calls the first one stored, and leave
/// them open.
/// </summary>
public sealed class IvrRestartTests
{
    /// <summary>One deadline for the whole test (a token made at each use would restart it: a stuck wait would never end).</summary>
    private readonly CancellationToken Ct = TestContext.Timeout(90);

    private static readonly Dictionary<string, string?> Settings = new() { ["Ivr:HangUpCallsOnStop"] = "false" };

    /// <summary>The Asterisk both instances talk to, outliving the first.</summary>
    private Task<AsteriskSimulator> StartSimulatorAsync() => AsteriskSimulator.StartAsync(new SimulatorOptions
    {
        AriUser = "cc-restart",
        AriPassword = Guid.NewGuid().ToString("N"),
        DefaultMediaLength = TimeSpan.FromMilliseconds(30),
        Time = new ScaledTimeProvider(1, IvrHost.WednesdayMorning),
    }, Ct);

    [Fact]
    public async Task Calls_left_in_the_stasis_app_by_a_stopped_instance_are_readopted_by_the_next_and_their_rows_completed()
    {
        await using var sim = await StartSimulatorAsync();
        var database = new DatabaseFixture();
        await database.InitializeAsync();
        try
        {
            await using var first = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim, sharedDatabase: database, sharedTime: sim.Options.Time);
            var callers = Enumerable.Range(0, 3).Select(i => sim.Trunk.Dial($"+4025600007{i}", "0256969")).ToList();
            foreach (var caller in callers)
            {
                await caller.WaitForPlaybackAsync(2, Ct); // in the language menu when the instance stops
            }
            await first.Recorder.WaitUntilStoredAsync(Ct);
            await first.DisposeAsync();
            Assert.All(callers, c => Assert.False(c.HungUp));
            Assert.Equal(callers.Count, sim.Channels.Count(c => c.InStasis));

            await using var second = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim, sharedDatabase: database, sharedTime: sim.Options.Time);
            foreach (var caller in callers)
            {
                await caller.WaitForHangupAsync(Ct);
                var (call, timeline) = await second.EndedCallAsync(caller.ChannelId, Ct);
                Assert.Equal("operator", call.IvrPath[^1]);
                Assert.NotNull(call.EndedAt);
                Assert.Equal(CallOutcomes.Failed, call.Outcome);
                Assert.Equal("queue-unavailable", call.HangupCause);
                Assert.Single(timeline, e => e.Type == "started");
                Assert.Single(timeline, e => e.Type == "left");
                Assert.Single(timeline, e => e.Type == "readopted");
                Assert.Single(timeline, e => e.Type == "ended");
            }
            await sim.WaitUntilAsync(s => s.Channels.Count == 0 && s.Bridges.Count == 0 && s.Playbacks.Count == 0, Ct);
        }
        finally
        {
            await database.DisposeAsync();
        }
    }
    [Fact]
    public async Task A_call_that_ended_while_no_instance_ran_is_closed_by_the_next_instance()
    {
        await using var sim = await StartSimulatorAsync();
        var database = new DatabaseFixture();
        await database.InitializeAsync();
        try
        {
            await using var first = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim, sharedDatabase: database, sharedTime: sim.Options.Time);
            var gone = sim.Trunk.Dial("+40256000081", "0256969");
            var staying = sim.Trunk.Dial("+40256000082", "0256969");
            await gone.WaitForPlaybackAsync(2, Ct);
            await staying.WaitForPlaybackAsync(2, Ct);
            await first.Recorder.WaitUntilStoredAsync(Ct);
            await first.DisposeAsync();
            await gone.HangUpAsync(Ct);

            await using var second = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim, sharedDatabase: database, sharedTime: sim.Options.Time);
            var (call, timeline) = await second.EndedCallAsync(gone.ChannelId, Ct);
            while (call.Outcome is null)
            {
                // The next instance closes such rows once it has listed Asterisk's channels, shortly after start.
                await Task.Delay(20, Ct);
                (call, timeline) = await second.EndedCallAsync(gone.ChannelId, Ct);
            }
            Assert.Equal(CallOutcomes.Abandoned, call.Outcome);
            Assert.Equal("ended-while-service-down", call.HangupCause);
            // It ends at its last known step (the instance leaving it), not when the next instance noticed.
            Assert.Equal(timeline.Single(e => e.Type == "left").At, call.EndedAt);
            Assert.Single(timeline, e => e.Type == "ended");
            Assert.DoesNotContain(timeline, e => e.Type == "readopted");

            await staying.HangUpAsync(Ct);
            var (other, _) = await second.EndedCallAsync(staying.ChannelId, Ct);
            Assert.NotEqual("ended-while-service-down", other.HangupCause);
        }
        finally
        {
            await database.DisposeAsync();
        }
    }
}
