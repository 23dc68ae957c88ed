using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using CityContact.Simulator.Scripting;

namespace CityContact.Service.Tests.Queues;

/// <summary>Strategies, wrap-up, automatic pause and announcements, each with three deskphones on a simulator of its own.</summary>
public sealed class QueueStrategyTests
{
    private static CancellationToken Ct => TestContext.Timeout(40);

    private sealed record Setup(AsteriskSimulator Sim, IvrHost Host) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Sim.DisposeAsync();
        }

        public async Task<long> AgentAsync(string phone, bool login = true)
        {
            using var admin = Host.Admin();
            var response = await admin.PostAsJsonAsync("/api/agents", new
            {
                name = phone, sipEndpoint = $"PJSIP/{phone}", skills = new[] { new { skill = "taxes", penalty = 0 } },
            }, Ct);
            response.EnsureSuccessStatusCode();
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
            if (login)
            {
                await LoginAsync(id);
            }
            return id;
        }

        public async Task LoginAsync(long id)
        {
            using var admin = Host.Admin();
            (await admin.PostAsync($"/api/agents/{id}/login", null, Ct)).EnsureSuccessStatusCode();
        }

        public async Task<JsonElement> AgentAsync(long id)
        {
            using var admin = Host.Admin();
            var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", Ct);
            return agents.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == id);
        }

        public async Task WaitForStateAsync(long id, string state)
        {
            var ct = Ct;
            while ((await AgentAsync(id)).GetProperty("state").GetString() != state)
            {
                await Task.Delay(20, ct);
            }
        }

        public async Task<SimulatedCaller> CallAsync(string from = "+40256000001")
        {
            var caller = Sim.Trunk.Dial(from, "inbound,0256969");
            await caller.WaitForPlaybackAsync(2, Ct);
            await caller.PressAsync("1", Ct);
            await caller.WaitForPlaybackAsync(3, Ct);
            await caller.PressAsync("1", Ct);
            return caller;
        }

        public Task InMixingAsync(SimulatedCaller caller) =>
            Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Contains(caller.ChannelId)), Ct);

        public Task InHoldingAsync(SimulatedCaller caller) =>
            Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "holding" && b.Channels.Contains(caller.ChannelId)), Ct);

        public IReadOnlyList<string> Originated() => [.. Sim.Requests
            .Where(r => r.Method == "POST" && r.Path.StartsWith("/ari/channels", StringComparison.Ordinal) && r.Parameters.ContainsKey("endpoint"))
            .Select(r => r.Parameters["endpoint"])];
    }

    private static async Task<Setup> StartAsync(params (string Key, string Value)[] settings)
    {
        var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            AriUser = "cc-strategies",
            AriPassword = Guid.NewGuid().ToString("N"),
            DefaultMediaLength = TimeSpan.FromMilliseconds(30),
            Time = new ScaledTimeProvider(1, IvrHost.WednesdayMorning),
            TrunkStasisAppData = "citycontact,${EXTEN}",
            PhoneEndpoints = ["agent1", "agent2", "agent3"],
        }, Ct);
        var all = new Dictionary<string, string?>
        {
            ["Queues:WrapUpSeconds"] = "0.05",
            ["Queues:RingTimeoutSeconds"] = "1",
            ["Queues:AnnounceEverySeconds"] = "600",
            ["Queues:NoAgents"] = "JoinEmpty",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return new Setup(sim, await IvrHost.StartAsync(settings: all, externalSimulator: sim));
    }

    [Fact]
    public async Task Longest_idle_offers_the_call_to_the_agent_available_the_longest()
    {
        await using var setup = await StartAsync(("Queues:Strategy", "LongestIdle"));
        foreach (var phone in new[] { "agent1", "agent2", "agent3" })
        {
            await setup.Sim.Phone(phone).AnswerAfter(TimeSpan.Zero).RegisterAsync(Ct);
        }
        var first = await setup.AgentAsync("agent3");
        await setup.WaitForStateAsync(first, "available");
        await setup.AgentAsync("agent1");
        await setup.AgentAsync("agent2");

        var caller = await setup.CallAsync();
        await setup.InMixingAsync(caller);
        Assert.Equal(["PJSIP/agent3"], setup.Originated());
    }

    [Fact]
    public async Task Round_robin_remembers_the_last_agent_and_moves_on_to_the_next()
    {
        await using var setup = await StartAsync(("Queues:Strategy", "RoundRobin"));
        var ids = new List<long>();
        foreach (var phone in new[] { "agent1", "agent2", "agent3" })
        {
            await setup.Sim.Phone(phone).AnswerAfter(TimeSpan.Zero).RegisterAsync(Ct);
            ids.Add(await setup.AgentAsync(phone));
        }
        for (var i = 0; i < 4; i++)
        {
            foreach (var id in ids)
            {
                await setup.WaitForStateAsync(id, "available");
            }
            var caller = await setup.CallAsync($"+4025600000{i}");
            await setup.InMixingAsync(caller);
            await caller.HangUpAsync(Ct);
            await setup.Sim.WaitUntilAsync(s => !s.Bridges.Any(b => b.BridgeType == "mixing"), Ct);
        }
        Assert.Equal(["PJSIP/agent1", "PJSIP/agent2", "PJSIP/agent3", "PJSIP/agent1"], setup.Originated());
    }

    [Fact]
    public async Task Ring_all_rings_every_free_agent_and_those_not_answering_are_not_counted_as_missing()
    {
        await using var setup = await StartAsync(("Queues:Strategy", "RingAll"), ("Queues:RingTimeoutSeconds", "5"));
        await setup.Sim.Phone("agent1").DoNotAnswer().RegisterAsync(Ct);
        await setup.Sim.Phone("agent2").AnswerAfter(TimeSpan.FromMilliseconds(200)).RegisterAsync(Ct);
        var silent = await setup.AgentAsync("agent1");
        var answering = await setup.AgentAsync("agent2");
        await setup.WaitForStateAsync(answering, "available");

        var caller = await setup.CallAsync();
        await setup.InMixingAsync(caller);
        Assert.Equal(["PJSIP/agent1", "PJSIP/agent2"], setup.Originated().Order());
        await setup.WaitForStateAsync(silent, "available");
        Assert.Equal(0, (await setup.AgentAsync(silent)).GetProperty("misses").GetInt32());
        Assert.Equal("on_call", (await setup.AgentAsync(answering)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Wrap_up_keeps_the_next_call_away_from_the_agent_for_the_configured_time()
    {
        await using var setup = await StartAsync(("Queues:WrapUpSeconds", "1"));
        var phone = setup.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        var agent = await setup.AgentAsync("agent1");
        await setup.WaitForStateAsync(agent, "available");
        var first = await setup.CallAsync("+40256000001");
        await setup.InMixingAsync(first);
        var second = await setup.CallAsync("+40256000002");
        await setup.InHoldingAsync(second);

        var clock = Stopwatch.StartNew();
        await phone.HangUpAsync(Ct);
        await setup.WaitForStateAsync(agent, "wrap_up");
        await setup.InMixingAsync(second);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"the next call came after {clock.Elapsed}");
    }

    [Fact]
    public async Task An_agent_missing_calls_in_a_row_is_paused_with_the_reason_missed_calls()
    {
        await using var setup = await StartAsync(("Queues:MaxMissesBeforePause", "2"));
        await setup.Sim.Phone("agent1").DoNotAnswer().RegisterAsync(Ct);
        var agent = await setup.AgentAsync("agent1");
        await setup.WaitForStateAsync(agent, "available");
        var caller = await setup.CallAsync();

        await setup.WaitForStateAsync(agent, "paused");
        var paused = await setup.AgentAsync(agent);
        Assert.Equal("missed-calls", paused.GetProperty("reason").GetString());
        // The misses that paused the agent stay counted (issue 13: the demo showed misses: 0).
        Assert.Equal(2, paused.GetProperty("misses").GetInt32());
        Assert.Equal(["PJSIP/agent1", "PJSIP/agent1"], setup.Originated());
        await caller.HangUpAsync(Ct);
    }

    [Fact]
    public async Task Waiting_callers_hear_their_position_and_estimated_wait_at_the_configured_interval()
    {
        await using var setup = await StartAsync(("Queues:AnnounceEverySeconds", "0.5"), ("Queues:DefaultHandleSeconds", "120"));
        var busy = setup.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await busy.RegisterAsync(Ct);
        var agent = await setup.AgentAsync("agent1");
        await setup.WaitForStateAsync(agent, "available");
        var talking = await setup.CallAsync("+40256000001");
        await setup.InMixingAsync(talking);
        var waiting = await setup.CallAsync("+40256000002");
        await setup.InHoldingAsync(waiting);

        bool Announced(IEnumerable<AriRequestRecord> requests, int count) => requests.Count(r =>
            r.Path.Contains(waiting.ChannelId, StringComparison.Ordinal) && r.Parameters.TryGetValue("media", out var media) && media.EndsWith("/queue-position", StringComparison.Ordinal)) >= count;
        await setup.Sim.WaitUntilAsync(s => Announced(s.Requests, 2), Ct);
        var announcements = setup.Sim.Requests.Where(r => r.Path.Contains(waiting.ChannelId, StringComparison.Ordinal)
            && r.Parameters.TryGetValue("media", out var media) && media.StartsWith("number:", StringComparison.Ordinal)).Select(r => r.Parameters["media"]).Take(2).ToList();
        // Position 1, one agent able and busy, 120 s handle time: two minutes.
        Assert.Equal(["number:1", "number:2"], announcements);
        var times = setup.Sim.Requests.Where(r => r.Path.Contains(waiting.ChannelId, StringComparison.Ordinal)
            && r.Parameters.TryGetValue("media", out var media) && media.EndsWith("/queue-position", StringComparison.Ordinal)).Select(r => r.Timestamp).ToList();
        Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(0.4));
        await waiting.HangUpAsync(Ct);
        await talking.HangUpAsync(Ct);
    }

    [Fact]
    public async Task Fewest_calls_offers_the_call_to_the_agent_who_has_taken_the_fewest()
    {
        await using var setup = await StartAsync(("Queues:Strategy", "FewestCalls"));
        var busy = setup.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await busy.RegisterAsync(Ct);
        var first = await setup.AgentAsync("agent1");
        await setup.WaitForStateAsync(first, "available");
        var warmUp = await setup.CallAsync("+40256000001");
        await setup.InMixingAsync(warmUp);
        await warmUp.HangUpAsync(Ct);
        await setup.WaitForStateAsync(first, "available");
        await setup.Sim.Phone("agent2").AnswerAfter(TimeSpan.Zero).RegisterAsync(Ct);
        var fresh = await setup.AgentAsync("agent2");
        await setup.WaitForStateAsync(fresh, "available");

        // agent1 has been idle longer, but agent2 has taken fewer calls.
        var caller = await setup.CallAsync("+40256000002");
        await setup.InMixingAsync(caller);
        Assert.Equal(["PJSIP/agent1", "PJSIP/agent2"], setup.Originated());
    }

    [Fact]
    public async Task A_caller_reaching_the_maximum_wait_leaves_the_queue_with_the_message()
    {
        await using var setup = await StartAsync();
        await using (var connection = new Npgsql.NpgsqlConnection(setup.Host.Database.ConnectionString))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE queues SET max_wait_seconds = 10 WHERE code = 'taxes'");
        }
        await setup.AgentAsync("agent1", login: false);
        var clock = Stopwatch.StartNew();
        var caller = await setup.CallAsync();
        await setup.InHoldingAsync(caller);
        await caller.WaitForHangupAsync(TestContext.Timeout(30));
        var (call, timeline) = await setup.Host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(9.5));
        Assert.Equal("failed", call.Outcome);
        Assert.Contains(timeline, e => e.Type == "queue.overflow" && e.Data.Contains("max-wait", StringComparison.Ordinal));
    }
}
