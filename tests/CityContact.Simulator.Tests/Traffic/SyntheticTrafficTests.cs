using System.Collections.Concurrent;
using System.Text.Json;
using CityContact.Simulator.Clock;
using CityContact.Simulator.Traffic;
using Xunit;

namespace CityContact.Simulator.Tests.Traffic;

/// <summary>Synthetic traffic against a real in-process simulator and a fake Stasis app over real sockets, on a scaled clock.</summary>
public sealed class SyntheticTrafficTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly List<IAsyncDisposable> _cleanup = [];
    private ScaledTimeProvider _clock = null!;
    private AsteriskSimulator _sim = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
        {
            await _cleanup[i].DisposeAsync();
        }
    }

    private async Task<FakeStasisApp> StartAsync(double clockScale, Func<FakeCall, Task> flow, params string[] agents)
    {
        _clock = new ScaledTimeProvider(clockScale);
        _sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            Time = _clock,
            DefaultMediaLength = TimeSpan.FromSeconds(2),
            PhoneEndpoints = agents,
        });
        _cleanup.Add(_sim);
        var app = await FakeStasisApp.StartAsync(_sim, flow);
        _cleanup.Add(app);
        return app;
    }

    private SyntheticTraffic StartTraffic(SyntheticTrafficOptions options)
    {
        var traffic = SyntheticTraffic.Start(_sim, options);
        _cleanup.Add(traffic);
        return traffic;
    }

    [Fact]
    public async Task Poisson_arrivals_bring_about_rate_times_duration_calls()
    {
        var starts = new ConcurrentQueue<DateTimeOffset>();
        var app = await StartAsync(20, async call =>
        {
            starts.Enqueue(FakeCall.TimeOf(call.Start));
            await call.AnswerAsync();
            await call.HangUpAsync();
        });
        var begin = _clock.GetUtcNow();
        var traffic = StartTraffic(new SyntheticTrafficOptions { RatePerHour = 18_000, Seed = 11, MenuDepth = 0 });

        await Task.Delay(TimeSpan.FromSeconds(62), _clock);
        await traffic.StopAsync();

        // 5 calls per virtual second for 60 s: 300 expected, Poisson standard deviation √300 ≈ 17.
        var inWindow = starts.Count(t => t - begin < TimeSpan.FromSeconds(60));
        Assert.InRange(inWindow, 300 - 4 * 17, 300 + 4 * 17);
        Assert.True(traffic.Counters.CallsAnswered >= inWindow - 5, $"{traffic.Counters}");
        Assert.Empty(app.Failures);
    }

    [Fact]
    public async Task Queued_callers_hang_up_when_their_patience_runs_out()
    {
        var waits = new ConcurrentDictionary<string, (TimeSpan Waited, bool ByCaller)>();
        var app = await StartAsync(60, async call =>
        {
            await call.AnswerAsync();
            await call.PostAsync($"bridges/queue/addChannel?channel={call.ChannelId}");
            var entered = await call.NextAsync("ChannelEnteredBridge");
            var hangup = await call.NextAsync("ChannelHangupRequest");
            if (entered is { } e && hangup is { } h)
            {
                waits[call.ChannelId] = (FakeCall.TimeOf(h) - FakeCall.TimeOf(e), !h.TryGetProperty("cause", out _));
            }
        });
        await app.SendAsync(HttpMethod.Post, "bridges/queue?type=holding");
        var patience = TimeSpan.FromSeconds(30);
        var traffic = StartTraffic(new SyntheticTrafficOptions { RatePerHour = 3_600, MeanPatience = patience, CallbackShare = 0, Seed = 5, MenuDepth = 0 });

        // The first 20 callers, whatever their patience (the first 20 to give up would be the least patient ones).
        try
        {
            await _sim.WaitUntilAsync(_ => app.Started.Count >= 20 && app.Started.Take(20).All(c => waits.ContainsKey(c.ChannelId))).WaitAsync(Wait);
        }
        catch (TimeoutException)
        {
            var missing = app.Started.Take(20).Where(c => !waits.ContainsKey(c.ChannelId)).Select(c => c.ChannelId).ToArray();
            var live = _sim.Channels.Where(c => missing.Contains(c.UniqueId)).Select(c => $"{c.UniqueId} {c.State} inStasis={c.InStasis}");
            var bridged = _sim.Bridges.SelectMany(b => b.Channels.Where(missing.Contains)).ToArray();
            Assert.Fail($"callers still waiting: {string.Join(",", missing)}; live: {string.Join(";", live)}; in a bridge: {string.Join(",", bridged)}; {traffic.Counters}; app failures: {string.Join("|", app.Failures)}");
        }
        await traffic.StopAsync();

        var abandoned = app.Started.Take(20).Select(c => waits[c.ChannelId]).ToArray();
        Assert.All(abandoned, w => Assert.True(w.ByCaller, "the caller hangs up (BYE, no cause), not the app"));
        // Exponential patience with a mean of 30 s; the seeded draws, plus a little virtual time for the machine's latency.
        Assert.InRange(abandoned.Average(w => w.Waited.TotalSeconds), 0.5 * patience.TotalSeconds, 1.7 * patience.TotalSeconds);
        Assert.True(traffic.Counters.CallsAbandoned >= 20);
        Assert.Equal(0, traffic.Counters.CallsReachedAgent);
        Assert.Empty(app.Failures);
    }

    [Fact]
    public async Task A_synthetic_agent_answers_after_its_delay_hangs_up_after_its_handle_time_and_refuses_calls_in_wrap_up()
    {
        var app = await StartAsync(20, _ => Task.CompletedTask, "agent1");
        var traffic = StartTraffic(new SyntheticTrafficOptions
        {
            RatePerHour = 0,
            AgentEndpoints = ["agent1"],
            AgentAnswerDelay = DurationRange.Seconds(2, 4),
            MeanHandleTime = TimeSpan.FromSeconds(20),
            // Long enough (6 s of real time at this clock's ×20) that a loaded machine still dials during it.
            WrapUp = DurationRange.Seconds(120, 120),
            WrapUpRefusal = WrapUpRefusal.Busy,
            AgentMissShare = 0,
            Seed = 3,
        });
        await _sim.WaitUntilAsync(s => s.Phone("agent1").IsRegistered).WaitAsync(Wait);

        var dialedAt = _clock.GetUtcNow();
        var (first, firstCall) = await OriginateAsync(app);
        var answered = await firstCall.NextAsync("StasisStart", "ChannelDestroyed");
        Assert.Equal("StasisStart", answered!.Value.GetProperty("type").GetString());
        var ringing = FakeCall.TimeOf(answered.Value) - dialedAt;
        Assert.InRange(ringing.TotalSeconds, 2, 4 + 10); // drawn in 2-4 s, plus up to half a real second of machine latency × 20
        var hangup = await firstCall.NextAsync("ChannelHangupRequest");
        Assert.False(hangup!.Value.TryGetProperty("cause", out _), "the agent's phone hangs up (BYE)");
        await traffic.WaitForCountersAsync(c => c.AgentCallsHandled == 1).WaitAsync(Wait);

        var (_, duringWrapUp) = await OriginateAsync(app);
        var refused = await duringWrapUp.NextAsync("StasisStart", "ChannelDestroyed");
        Assert.Equal("ChannelDestroyed", refused!.Value.GetProperty("type").GetString());
        Assert.Equal(17, refused.Value.GetProperty("cause").GetInt32());

        await Task.Delay(TimeSpan.FromSeconds(130), _clock);
        var (_, afterWrapUp) = await OriginateAsync(app);
        Assert.Equal("StasisStart", (await afterWrapUp.NextAsync("StasisStart", "ChannelDestroyed"))!.Value.GetProperty("type").GetString());
        Assert.NotEqual(first, afterWrapUp.ChannelId);
        Assert.Equal(2, traffic.Counters.AgentCallsAnswered);
        Assert.Empty(app.Failures);
    }

    /// <summary>The application's desk as a synthetic agent uses it: every action recorded with the virtual time it came.</summary>
    private sealed class RecordingDesk(TimeProvider clock) : ISyntheticAgentDesk
    {
        private readonly Lock _gate = new();
        private readonly List<(string Action, string Endpoint, string? Argument, DateTimeOffset At)> _actions = [];
        private readonly List<(Func<IReadOnlyList<(string Action, string Endpoint, string? Argument, DateTimeOffset At)>, bool> Condition, TaskCompletionSource Done)> _waiters = [];

        public IReadOnlyList<(string Action, string Endpoint, string? Argument, DateTimeOffset At)> Actions
        {
            get
            {
                lock (_gate)
                {
                    return [.. _actions];
                }
            }
        }

        public Task PauseAsync(string endpoint, string reason, CancellationToken ct) => Record("pause", endpoint, reason);

        public Task UnpauseAsync(string endpoint, CancellationToken ct) => Record("unpause", endpoint, null);

        public Task FinishWrapUpAsync(string endpoint, string code, CancellationToken ct) => Record("wrap-up", endpoint, code);

        public Task WaitUntilAsync(Func<IReadOnlyList<(string Action, string Endpoint, string? Argument, DateTimeOffset At)>, bool> condition)
        {
            lock (_gate)
            {
                if (condition(_actions))
                {
                    return Task.CompletedTask;
                }
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((condition, done));
                return done.Task;
            }
        }

        private Task Record(string action, string endpoint, string? argument)
        {
            lock (_gate)
            {
                _actions.Add((action, endpoint, argument, clock.GetUtcNow()));
                foreach (var waiter in _waiters.Where(w => w.Condition(_actions)).ToList())
                {
                    _waiters.Remove(waiter);
                    waiter.Done.TrySetResult();
                }
            }
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task With_a_desk_an_agent_takes_calls_during_the_after_call_work_and_closes_the_wrap_up_with_a_code()
    {
        var app = await StartAsync(20, _ => Task.CompletedTask, "agent1");
        var desk = new RecordingDesk(_clock);
        var traffic = StartTraffic(new SyntheticTrafficOptions
        {
            RatePerHour = 0,
            AgentEndpoints = ["agent1"],
            AgentAnswerDelay = DurationRange.Seconds(1, 2),
            MeanHandleTime = TimeSpan.FromSeconds(10),
            WrapUp = DurationRange.Seconds(60, 60),
            AgentDesk = desk,
            AgentBreaks = [],
            AgentMissShare = 0,
            WrapUpCodes = ["resolved"],
            Seed = 5,
        });
        await _sim.WaitUntilAsync(s => s.Phone("agent1").IsRegistered).WaitAsync(Wait);

        var (_, first) = await OriginateAsync(app);
        Assert.Equal("StasisStart", (await first.NextAsync("StasisStart", "ChannelDestroyed"))!.Value.GetProperty("type").GetString());
        await traffic.WaitForCountersAsync(c => c.AgentCallsHandled == 1).WaitAsync(Wait);
        var handledAt = _clock.GetUtcNow();

        // The application decides when the agent is offered the next call: a real phone rings and is answered.
        var (_, duringWork) = await OriginateAsync(app);
        Assert.Equal("StasisStart", (await duringWork.NextAsync("StasisStart", "ChannelDestroyed"))!.Value.GetProperty("type").GetString());

        await desk.WaitUntilAsync(a => a.Count >= 1).WaitAsync(Wait);
        var (action, endpoint, code, at) = desk.Actions[0];
        Assert.Equal(("wrap-up", "agent1", "resolved"), (action, endpoint, code));
        Assert.True(at - handledAt >= TimeSpan.FromSeconds(55), $"closed {at - handledAt} after the call");
        Assert.Equal(0, traffic.Counters.AgentBreaksTaken);
        Assert.Empty(app.Failures);
    }

    [Fact]
    public async Task Agents_take_breaks_with_a_pause_reason_at_their_desk_and_come_back_after_its_length()
    {
        await StartAsync(60, _ => Task.CompletedTask, "agent1", "agent2");
        var desk = new RecordingDesk(_clock);
        var traffic = StartTraffic(new SyntheticTrafficOptions
        {
            RatePerHour = 0,
            AgentEndpoints = ["agent1", "agent2"],
            AgentDesk = desk,
            MeanWorkBetweenBreaks = TimeSpan.FromSeconds(30),
            AgentBreaks = [new AgentBreak("lunch", 1, DurationRange.Seconds(120, 120)), new AgentBreak("training", 0, DurationRange.Seconds(1, 1))],
            Seed = 9,
        });

        await desk.WaitUntilAsync(a => a.Count(x => x.Action == "unpause") >= 2).WaitAsync(Wait);
        foreach (var agent in new[] { "agent1", "agent2" })
        {
            var mine = desk.Actions.Where(a => a.Endpoint == agent).Take(2).ToList();
            Assert.Equal([("pause", "lunch"), ("unpause", null)], mine.Select(a => (a.Action, a.Argument)));
            Assert.InRange((mine[1].At - mine[0].At).TotalSeconds, 120, 120 + 30);
        }
        Assert.True(traffic.Counters.AgentBreaksTaken >= 2);
    }

    private static async Task<(string Id, FakeCall Call)> OriginateAsync(FakeStasisApp app)
    {
        var channel = await app.SendAsync(HttpMethod.Post, "channels?endpoint=PJSIP/agent1&app=citycontact&appArgs=agent&timeout=30");
        var id = channel!.Value.GetProperty("id").GetString()!;
        return (id, app.Call(id));
    }

    [Fact]
    public async Task Voicemail_callers_speak_for_their_drawn_length_then_press_hash()
    {
        var messages = new ConcurrentQueue<(string? Digit, int Duration)>();
        var app = await StartAsync(10, async call =>
        {
            await call.AnswerAsync();
            await call.PlayAsync("sound:vm-intro");
            await call.NextAsync("PlaybackFinished");
            await call.PostAsync($"channels/{call.ChannelId}/record?name=vm-{call.ChannelId}&format=wav&terminateOn=%23&maxDurationSeconds=120");
            var digit = await call.NextAsync("ChannelDtmfReceived");
            var finished = await call.NextAsync("RecordingFinished");
            if (finished is { } f)
            {
                messages.Enqueue((digit?.GetProperty("digit").GetString(), f.GetProperty("recording").GetProperty("duration").GetInt32()));
            }
            await call.HangUpAsync();
        });
        var traffic = StartTraffic(new SyntheticTrafficOptions
        {
            RatePerHour = 1_800,
            VoicemailShare = 1,
            VoicemailLength = DurationRange.Seconds(5, 10),
            MenuDepth = 0,
            Seed = 8,
        });

        await traffic.WaitForCountersAsync(c => c.VoicemailsLeft >= 5).WaitAsync(Wait);
        await _sim.WaitUntilAsync(_ => messages.Count >= 5).WaitAsync(Wait);
        await traffic.StopAsync();

        Assert.All(messages.Take(5), m =>
        {
            Assert.Equal("#", m.Digit);
            // Drawn in 5-10 s, in whole seconds; the clock runs 10× faster, so every 100 ms of machine latency (a loaded
            // 2-core CI runner) adds a simulated second: allow one second of it, never less than the drawn minimum.
            Assert.InRange(m.Duration, 4, 20);
        });
        Assert.Empty(app.Failures);
    }

    [Fact]
    public async Task Callback_callers_press_1_in_the_queue_and_confirm_with_1()
    {
        var confirmed = new ConcurrentQueue<string>();
        var app = await StartAsync(60, async call =>
        {
            await call.AnswerAsync();
            await call.PostAsync($"bridges/queue/addChannel?channel={call.ChannelId}");
            var request = await call.NextAsync("ChannelDtmfReceived");
            if (request?.GetProperty("digit").GetString() != "1")
            {
                return;
            }
            await call.PlayAsync("sound:callback-confirm");
            var confirmation = await call.NextAsync("ChannelDtmfReceived");
            if (confirmation?.GetProperty("digit").GetString() == "1")
            {
                confirmed.Enqueue(call.CallerNumber);
                await call.HangUpAsync();
            }
        });
        await app.SendAsync(HttpMethod.Post, "bridges/queue?type=holding");
        var traffic = StartTraffic(new SyntheticTrafficOptions
        {
            RatePerHour = 3_600,
            CallbackShare = 1,
            CallbackAfter = DurationRange.Seconds(5, 10),
            MeanPatience = TimeSpan.FromHours(10),
            VoicemailShare = 0,
            MenuDepth = 0,
            Seed = 4,
        });

        await traffic.WaitForCountersAsync(c => c.CallbacksRequested >= 5).WaitAsync(Wait);
        await _sim.WaitUntilAsync(_ => confirmed.Count >= 5).WaitAsync(Wait);
        await traffic.StopAsync();

        Assert.Equal(0, traffic.Counters.CallsAbandoned);
        Assert.Empty(app.Failures);
    }

    [Fact]
    public async Task Callers_still_on_the_line_at_the_call_limit_hang_up()
    {
        var app = await StartAsync(60, async call =>
        {
            await call.AnswerAsync();
            await call.PostAsync($"bridges/queue/addChannel?channel={call.ChannelId}");
        });
        await app.SendAsync(HttpMethod.Post, "bridges/queue?type=holding");
        var traffic = StartTraffic(new SyntheticTrafficOptions
        {
            RatePerHour = 3_600,
            MaxCallDuration = TimeSpan.FromMinutes(1),
            MeanPatience = TimeSpan.FromHours(10),
            CallbackShare = 0,
            MenuDepth = 0,
            Seed = 2,
        });

        await traffic.WaitForCountersAsync(c => c.CallsCutAtLimit >= 3).WaitAsync(Wait);
        await traffic.StopAsync();

        Assert.Equal(0, traffic.Counters.CallsAbandoned);
        Assert.Empty(app.Failures);
    }

    [Fact]
    public async Task Menu_keys_follow_the_configured_mix()
    {
        var (digits, _) = await RunMenuCallersAsync(seed: 21, calls: 200);

        var twos = digits.Count(d => d == "2") / (double)digits.Count;
        Assert.InRange(twos, 0.65, 0.85); // weights 1:3
        Assert.All(digits, d => Assert.Contains(d, (string[])["1", "2"]));
    }

    [Fact]
    public async Task The_same_seed_brings_the_same_callers_pressing_the_same_keys()
    {
        var (_, first) = await RunMenuCallersAsync(seed: 77, calls: 30);
        await DisposeAsync();
        _cleanup.Clear();
        var (_, second) = await RunMenuCallersAsync(seed: 77, calls: 30);

        Assert.Equal(first, second);
    }

    /// <summary>Runs callers against a menu; returns the keys pressed and, in arrival order, "number:key" per caller.</summary>
    private async Task<(List<string> Digits, string[] Callers)> RunMenuCallersAsync(int seed, int calls)
    {
        var pressed = new ConcurrentDictionary<string, string>();
        var app = await StartAsync(10, async call =>
        {
            await call.AnswerAsync();
            await call.PlayAsync("sound:menu");
            if (await call.NextAsync("ChannelDtmfReceived") is { } digit)
            {
                pressed[call.CallerNumber] = digit.GetProperty("digit").GetString()!;
                await call.HangUpAsync();
            }
        });
        var traffic = StartTraffic(new SyntheticTrafficOptions
        {
            RatePerHour = 36_000,
            MenuChoices = new Dictionary<string, double> { ["1"] = 1, ["2"] = 3 },
            MenuDepth = 1,
            VoicemailShare = 0,
            CallbackShare = 0,
            Seed = seed,
        });
        IEnumerable<string> Arrivals() => app.Started.Take(calls).Select(c => c.CallerNumber);
        await _sim.WaitUntilAsync(_ => app.Started.Count >= calls && Arrivals().All(pressed.ContainsKey)).WaitAsync(Wait);
        await traffic.StopAsync();
        Assert.Empty(app.Failures);
        var first = Arrivals().ToArray();
        return ([.. first.Select(n => pressed[n])], [.. first.Select(n => $"{n}:{pressed[n]}")]);
    }
}
