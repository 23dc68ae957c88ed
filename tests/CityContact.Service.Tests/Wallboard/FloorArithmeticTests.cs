using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Wallboard;

namespace CityContact.Service.Tests.Wallboard;

/// <summary>The board's figures from a controlled clock: service level, speed of answer, abandon rate and the thresholds.</summary>
public sealed class FloorArithmeticTests
{
    private static readonly DateTimeOffset Nine = new(2026, 3, 11, 7, 0, 0, TimeSpan.Zero);
    private static readonly Queue Taxes = new(1, "taxes", "Local taxes", 10, "taxes", 600, 50, 60);

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;

        public void Advance(TimeSpan by) => Now += by;
    }

    private static WallboardOptions Thresholds() => new()
    {
        LongestWaitAmberSeconds = 30, LongestWaitRedSeconds = 90, AbandonRateAmber = 0.1, AbandonRateRed = 0.25,
        ServiceLevelAmber = 0.8, ServiceLevelRed = 0.5, MinimumOffered = 4,
    };

    private static CallFacts Call(string id, DateTimeOffset joined) => new(id, Taxes.Id, Taxes.Code, "+40256000001", "ro", ["welcome", "main", "taxes"], false, joined);

    [Fact]
    public void Service_level_counts_answers_within_the_level_over_answered_and_abandoned_and_speed_of_answer_is_the_mean_wait()
    {
        var clock = new ManualClock(Nine);
        var floor = new FloorState(Thresholds(), TimeSpan.FromSeconds(20));
        floor.LoadQueues([Taxes]);
        var waits = new[] { 5, 20, 35, 50 };
        var calls = waits.Select((w, i) => Call($"c{i}", clock.GetUtcNow())).ToList();
        foreach (var call in calls)
        {
            floor.Offered(call, joined: true);
        }
        var abandoned = Call("gone", clock.GetUtcNow());
        floor.Offered(abandoned, joined: true);
        for (var i = 0; i < waits.Length; i++)
        {
            floor.Left(calls[i], QueueLeaving.Answered, null, Nine.AddSeconds(waits[i]));
        }
        clock.Advance(TimeSpan.FromSeconds(70));
        floor.Left(abandoned, QueueLeaving.Abandoned, null, clock.GetUtcNow());

        var queue = floor.BuildBoard(clock.GetUtcNow()).Queues.Single();
        Assert.Equal((5, 4, 1, 0), (queue.Offered, queue.Answered, queue.Abandoned, queue.Waiting));
        // 5 s and exactly 20 s are within the level; of 4 answered + 1 abandoned.
        Assert.Equal(0.4, queue.ServiceLevel);
        Assert.Equal(27.5, queue.AverageSpeedOfAnswerSeconds);
        // Abandon rate 1/5 = 0.2 (amber), service level 0.4 < 0.5 (red).
        Assert.Equal("red", queue.Status);
        Assert.Equal(["abandon-rate", "service-level"], queue.Reasons);
    }

    [Fact]
    public void A_new_queue_has_no_rates_and_is_judged_on_its_longest_wait_alone_which_grows_with_the_clock()
    {
        var clock = new ManualClock(Nine);
        var floor = new FloorState(Thresholds(), TimeSpan.FromSeconds(20));
        floor.LoadQueues([Taxes]);
        floor.Offered(Call("first", clock.GetUtcNow()), joined: true);
        clock.Advance(TimeSpan.FromSeconds(10));
        floor.Offered(Call("second", clock.GetUtcNow()), joined: true);

        var early = floor.BuildBoard(clock.GetUtcNow()).Queues.Single();
        Assert.Equal((2, 10.0, "ok"), (early.Waiting, early.LongestWaitSeconds, early.Status));
        Assert.Null(early.ServiceLevel);
        Assert.Null(early.AverageSpeedOfAnswerSeconds);

        clock.Advance(TimeSpan.FromSeconds(20));
        var amber = floor.BuildBoard(clock.GetUtcNow()).Queues.Single();
        Assert.Equal((30.0, "amber"), (amber.LongestWaitSeconds, amber.Status));
        Assert.Equal(["longest-wait"], amber.Reasons);

        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal("red", floor.BuildBoard(clock.GetUtcNow()).Queues.Single().Status);
    }

    [Fact]
    public void Rates_wait_for_the_minimum_offered_calls_and_a_caller_who_joins_again_is_offered_once()
    {
        var floor = new FloorState(Thresholds(), TimeSpan.FromSeconds(20));
        floor.LoadQueues([Taxes]);
        var call = Call("again", Nine);
        floor.Offered(call, joined: true);
        floor.Left(call, QueueLeaving.Other, null, Nine.AddSeconds(5));
        floor.Offered(call, joined: true);
        floor.Left(call, QueueLeaving.Abandoned, null, Nine.AddSeconds(8));

        var queue = floor.BuildBoard(Nine.AddSeconds(8)).Queues.Single();
        Assert.Equal((1, 1), (queue.Offered, queue.Abandoned));
        // 100 % abandoned, but 1 offered is below the minimum of 4: not judged yet.
        Assert.Equal("ok", queue.Status);
    }

    [Fact]
    public void The_day_starts_from_the_stored_figures_and_adds_live_ones_and_calls_today_follow_answers()
    {
        var floor = new FloorState(Thresholds(), TimeSpan.FromSeconds(20));
        floor.LoadQueues([Taxes]);
        var agent = new AgentView(7, "Ana", "PJSIP/101", "available", null, true, Nine, 0, 0);
        floor.AgentChanged(agent, [new AgentSkill("taxes", 0)], null, Nine);
        floor.StartDay([new StoredQueueDay(Taxes.Id, 10, 8, 2, 6, 80)], new Dictionary<long, long> { [7] = 8 });
        var call = Call("live", Nine);
        floor.Offered(call, joined: true);
        floor.Left(call, QueueLeaving.Answered, 7, Nine.AddSeconds(10));

        var board = floor.BuildBoard(Nine.AddSeconds(10));
        var queue = board.Queues.Single();
        Assert.Equal((11, 9, 2), (queue.Offered, queue.Answered, queue.Abandoned));
        Assert.Equal(Math.Round(7.0 / 11, 4), queue.ServiceLevel);
        Assert.Equal(10.0, queue.AverageSpeedOfAnswerSeconds);
        Assert.Equal(9, board.Agents.Single().CallsToday);
        Assert.Equal(["taxes"], floor.BuildDesk(7)!.Agent.Queues);
    }
}
