using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Queues;
using CityContact.Service.Infrastructure.Http;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using CityContact.Simulator.Scripting;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Service.Tests.Queues;

/// <summary>
/// A rolling restart with callers in the taxes queue: one instance stops (leaving its calls in the Stasis app), the next
/// starts against the same simulator, database and clock, and takes the callers back where they were.
/// </summary>
public sealed class QueueRestartTests : IAsyncLifetime
{
    private const string CityNumber = "0256969";

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Ivr:HangUpCallsOnStop"] = "false",
        // Room for a loaded machine: a caller lingers in the main menu while another goes ahead of them into the queue.
        ["Ivr:DefaultTimeoutMs"] = "5000",
        ["Queues:WrapUpSeconds"] = "0.3",
        ["Queues:RingTimeoutSeconds"] = "5",
        ["Queues:AnnounceEverySeconds"] = "600",
        ["Queues:NoAgents"] = "JoinEmpty",
        // The operator fallback has nobody: a caller sent there hears the message and the call ends.
        ["Queues:Overrides:operator:NoAgents"] = "LeaveWhenEmpty",
    };

    private readonly ScaledTimeProvider _time = new(1, IvrHost.WednesdayMorning);
    private readonly DatabaseFixture _database = new();
    private AsteriskSimulator _sim = null!;

    private static CancellationToken Ct => TestContext.Timeout(60);

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            AriUser = "cc-queue-restart",
            AriPassword = Guid.NewGuid().ToString("N"),
            DefaultMediaLength = TimeSpan.FromMilliseconds(30),
            Time = _time,
        }, Ct);
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        await _database.DisposeAsync();
    }

    private Task<IvrHost> StartInstanceAsync() =>
        IvrHost.StartAsync(settings: Settings, externalSimulator: _sim, sharedDatabase: _database, sharedTime: _time);

    [Fact]
    public async Task Callers_waiting_in_a_queue_are_readopted_in_their_place_and_served_first_come_first_served_with_their_original_wait()
    {
        await using var first = await StartInstanceAsync();
        // The later caller dials first but lingers in the main menu; the earlier one to join the queue dials second.
        var later = _sim.Trunk.Dial("+40256000011", CityNumber);
        await later.WaitForPlaybackAsync(2, Ct);
        await later.PressAsync("1", Ct);
        await later.WaitForPlaybackAsync(3, Ct);
        var earlier = await CallTaxesAsync("+40256000012");
        await WaitInHoldingBridgeAsync(earlier);
        await later.PressAsync("1", Ct);
        await WaitInHoldingBridgeAsync(later);
        // A third caller is still in the IVR's menus: nothing to go back to, so the next instance sends them to the fallback.
        var inMenu = _sim.Trunk.Dial("+40256000013", CityNumber);
        await inMenu.WaitForPlaybackAsync(2, Ct);
        var joinedBy = _time.GetUtcNow();
        await first.Recorder.WaitUntilStoredAsync(Ct);
        await first.DisposeAsync();

        Assert.All([earlier, later, inMenu], c => Assert.False(c.HungUp));
        Assert.All([earlier, later], c => Assert.Contains(_sim.Bridges, b => b.Id == QueueHandover.HoldingBridgeId(c.ChannelId) && b.Channels.Contains(c.ChannelId)));

        await using var second = await StartInstanceAsync();
        var restartedAt = _time.GetUtcNow();
        await WaitForWaitingAsync(second, 2);
        await inMenu.WaitForHangupAsync(Ct);

        var phone = _sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        var agent = await AddAgentAsync(second, "agent1");
        foreach (var expected in new[] { earlier, later })
        {
            await phone.WaitForAnsweredCallAsync(Ct);
            await _sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Contains(phone.CurrentChannelId ?? "?") && b.Channels.Length == 2), Ct);
            var talking = _sim.Bridges.Single(b => b.BridgeType == "mixing" && b.Channels.Contains(phone.CurrentChannelId ?? "?"));
            if (!talking.Channels.Contains(expected.ChannelId))
            {
                // Seen once in a loaded full run and not reproduced since: a failure says what each caller went through.
                Assert.Fail($"{expected.ChannelId} should be talking to the agent, not {string.Join(", ", talking.Channels)}.\n"
                    + await TimelinesAsync(second, earlier, later));
            }
            await phone.HangUpAsync(Ct);
            await expected.WaitForHangupAsync(Ct);
        }

        foreach (var caller in new[] { earlier, later })
        {
            var (call, timeline) = await second.EndedCallAsync(caller.ChannelId, Ct);
            var row = await QueueColumnsAsync(second, caller.ChannelId);
            Assert.Equal(CallOutcomes.Answered, call.Outcome);
            Assert.Equal(agent, row.AgentId);
            // The whole path, the first instance's part included, not only the queue the second one resumed.
            Assert.Equal(["welcome", "language", "hours", "main", "taxes"], call.IvrPath);
            Assert.Single(timeline, e => e.Type == "started");
            Assert.Single(timeline, e => e.Type == "queue.entered");
            Assert.Single(timeline, e => e.Type == "readopted");
            var resumed = timeline.Single(e => e.Type == "queue.resumed");
            Assert.Contains(timeline, e => e.Type == "queue.announced" && e.Id > resumed.Id);
            // The wait runs from the join in the first instance to the answer in the second.
            var entered = timeline.Single(e => e.Type == "queue.entered").At;
            var answered = timeline.Single(e => e.Type == "queue.answered").At;
            Assert.InRange(row.WaitMs!.Value, (long)(answered - entered).TotalMilliseconds - 250, (long)(answered - entered).TotalMilliseconds + 250);
            Assert.True(row.WaitMs >= (restartedAt - joinedBy).TotalMilliseconds);
        }
        var (fallback, _) = await second.EndedCallAsync(inMenu.ChannelId, Ct);
        Assert.Equal(["welcome", "language", "operator"], fallback.IvrPath);
        Assert.Equal("queue-unavailable", fallback.HangupCause);
        await _sim.WaitUntilAsync(s => s.Channels.Count == 0 && s.Bridges.Count == 0, Ct);
    }

    [Fact]
    public async Task A_caller_talking_to_an_agent_at_the_restart_stays_connected_and_the_call_is_closed_as_answered_when_the_agent_hangs_up()
    {
        await using var first = await StartInstanceAsync();
        var phone = _sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        var agent = await AddAgentAsync(first, "agent1");
        var caller = await CallTaxesAsync("+40256000021");
        await phone.WaitForAnsweredCallAsync(Ct);
        await _sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Contains(caller.ChannelId) && b.Channels.Length == 2), Ct);
        var legId = phone.CurrentChannelId!;
        await first.Recorder.WaitUntilStoredAsync(Ct);
        await first.DisposeAsync();
        var stoppedAt = _time.GetUtcNow();

        await using var second = await StartInstanceAsync();
        while (!second.App.Calls.Any(c => c.ChannelId == caller.ChannelId))
        {
            await Task.Delay(20, Ct);
        }
        var talking = _sim.Bridges.Single(b => b.Id == QueueHandover.AgentBridgeId(caller.ChannelId));
        Assert.Equal(new[] { caller.ChannelId, legId }.Order(), talking.Channels.Order());
        await WaitForAgentStateAsync(second, agent, "on_call");
        Assert.False(caller.HungUp);

        await phone.HangUpAsync(Ct);
        await caller.WaitForHangupAsync(Ct);
        var (call, timeline) = await second.EndedCallAsync(caller.ChannelId, Ct);
        var row = await QueueColumnsAsync(second, caller.ChannelId);
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal("agent-hangup", call.HangupCause);
        Assert.Equal(agent, row.AgentId);
        Assert.Equal(["welcome", "language", "hours", "main", "taxes"], call.IvrPath);
        var answered = timeline.Single(e => e.Type == "queue.answered").At;
        Assert.True(row.TalkMs >= (stoppedAt.UtcDateTime - answered).TotalMilliseconds);
        Assert.InRange(row.WaitMs!.Value, 0, (long)(answered - timeline.Single(e => e.Type == "queue.entered").At).TotalMilliseconds + 250);
        await WaitForAgentStateAsync(second, agent, "available");
        await _sim.WaitUntilAsync(s => s.Channels.Count == 0 && s.Bridges.Count == 0, Ct);
    }

    [Fact]
    public async Task A_caller_whose_agent_hung_up_while_no_instance_ran_is_hung_up_by_the_next_and_closed_as_answered()
    {
        await using var first = await StartInstanceAsync();
        var phone = _sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        var agent = await AddAgentAsync(first, "agent1");
        var caller = await CallTaxesAsync("+40256000031");
        await _sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Contains(caller.ChannelId) && b.Channels.Length == 2), Ct);
        await first.Recorder.WaitUntilStoredAsync(Ct);
        await first.DisposeAsync();
        await phone.HangUpAsync(Ct);
        await _sim.WaitUntilAsync(s => s.Bridges.Any(b => b.Id == QueueHandover.AgentBridgeId(caller.ChannelId) && b.Channels.Length == 1), Ct);

        await using var second = await StartInstanceAsync();
        await caller.WaitForHangupAsync(Ct);
        var (call, timeline) = await second.EndedCallAsync(caller.ChannelId, Ct);
        var row = await QueueColumnsAsync(second, caller.ChannelId);
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal("agent-hangup", call.HangupCause);
        Assert.Equal(agent, row.AgentId);
        Assert.Contains(timeline, e => e.Type == "queue.resumed");
        Assert.DoesNotContain("operator", call.IvrPath);
        await WaitForAgentStateAsync(second, agent, "available");
        await _sim.WaitUntilAsync(s => s.Channels.Count == 0 && s.Bridges.Count == 0, Ct);
    }

    private async Task<SimulatedCaller> CallTaxesAsync(string from)
    {
        var caller = _sim.Trunk.Dial(from, CityNumber);
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        await caller.PressAsync("1", Ct);
        return caller;
    }

    private Task WaitInHoldingBridgeAsync(SimulatedCaller caller) =>
        _sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "holding" && b.Channels.Contains(caller.ChannelId)), Ct);

    private static async Task WaitForWaitingAsync(IvrHost host, int waiting)
    {
        using var admin = host.Admin();
        while (true)
        {
            var realtime = await admin.GetFromJsonAsync<JsonElement>("/api/queues/realtime", Ct);
            if (realtime.GetProperty("items").EnumerateArray().Any(q => q.GetProperty("code").GetString() == "taxes" && q.GetProperty("waiting").GetInt32() == waiting))
            {
                return;
            }
            await Task.Delay(20, Ct);
        }
    }

    private static async Task<long> AddAgentAsync(IvrHost host, string phone)
    {
        using var admin = host.Admin();
        var response = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = phone, sipEndpoint = $"PJSIP/{phone}", skills = new[] { new { skill = "taxes", penalty = 0 } },
        }, Ct);
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        (await admin.PostAsync($"/api/agents/{id}/login", null, Ct)).EnsureSuccessStatusCode();
        return id;
    }

    private static async Task WaitForAgentStateAsync(IvrHost host, long id, string state)
    {
        using var admin = host.Admin();
        while (true)
        {
            var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", Ct);
            if (agents.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == id).GetProperty("state").GetString() == state)
            {
                return;
            }
            await Task.Delay(20, Ct);
        }
    }

    private static async Task<string> TimelinesAsync(IvrHost host, params SimulatedCaller[] callers)
    {
        await host.Recorder.WaitUntilStoredAsync(Ct);
        var calls = (await host.Calls.ListAsync(new CallFilter(null, null, null, null, null), new PageRequest(100, 0), Ct)).Items;
        var lines = new List<string>();
        foreach (var call in calls.Where(c => callers.Any(caller => caller.ChannelId == c.ChannelId)))
        {
            var steps = (await host.Calls.TimelineAsync(call.Id, Ct)).Select(e => $"{e.At:HH:mm:ss.fff} {e.Type} {e.Data}");
            lines.Add($"{call.ChannelId}:\n  " + string.Join("\n  ", steps));
        }
        return string.Join("\n", lines);
    }

    private static async Task<(long? AgentId, long? WaitMs, long? TalkMs)> QueueColumnsAsync(IvrHost host, string channelId)
    {
        await host.Services.GetRequiredService<QueueCallLog>().WaitUntilStoredAsync(Ct);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        return await connection.QuerySingleAsync<(long?, long?, long?)>(
            "SELECT agent_id, queue_wait_ms, talk_ms FROM calls WHERE channel_id = @channelId", new { channelId });
    }
}
