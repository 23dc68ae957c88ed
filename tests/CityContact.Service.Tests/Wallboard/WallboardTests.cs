using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using CityContact.Simulator.Scripting;
using Dapper;
using Npgsql;

namespace CityContact.Service.Tests.Wallboard;

/// <summary>The wallboard and the agent desk through the simulator: calls, pauses and thresholds as the browsers see them.</summary>
public sealed class WallboardTests
{
    private const string CityNumber = "0256969";

    private static CancellationToken Ct => TestContext.Timeout(60);

    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var all = new Dictionary<string, string?>
        {
            ["Queues:WrapUpSeconds"] = "0.3",
            ["Queues:RingTimeoutSeconds"] = "20",
            ["Queues:AnnounceEverySeconds"] = "600",
            ["Queues:NoAgents"] = "JoinEmpty",
        };
        foreach (var (key, value) in extra)
        {
            all[key] = value;
        }
        return all;
    }

    internal static async Task<long> AddAgentAsync(IvrHost host, string phone, bool login = true)
    {
        using var admin = host.Admin();
        var response = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = "Agent " + phone, sipEndpoint = $"PJSIP/{phone}", skills = new[] { new { skill = "taxes", penalty = 0 } },
        }, Ct);
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        if (login)
        {
            (await admin.PostAsync($"/api/agents/{id}/login", null, Ct)).EnsureSuccessStatusCode();
        }
        return id;
    }

    internal static async Task<SimulatedCaller> CallTaxesAsync(AsteriskSimulator sim, string from, string to = CityNumber)
    {
        var caller = sim.Trunk.Dial(from, to);
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        await caller.PressAsync("1", Ct);
        return caller;
    }

    /// <summary>The agent on the board; undefined on a board built before the agent was known.</summary>
    internal static JsonElement AgentOf(JsonElement board, long id) => board.GetProperty("agents").EnumerateArray().FirstOrDefault(a => a.GetProperty("id").GetInt64() == id);

    internal static (string? State, string? Reason) StateOf(JsonElement agent) =>
        agent.ValueKind == JsonValueKind.Undefined ? (null, null) : (agent.GetProperty("state").GetString(), agent.GetProperty("reason").GetString());

    private static JsonElement QueueOf(JsonElement board, string code) => board.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("code").GetString() == code);

    [Fact]
    public async Task A_ringing_call_reaches_the_agents_desk_within_a_second_with_its_ivr_path_and_the_citizens_open_tickets()
    {
        await using var host = await IvrHost.StartAsync(settings: Settings());
        var phone = host.Sim.Phone("agent1").DoNotAnswer();
        await phone.RegisterAsync(Ct);
        var agent = await AddAgentAsync(host, "agent1");
        using var admin = host.Admin();
        var department = await DepartmentOfAsync(host, "taxes");
        var created = await admin.PostAsJsonAsync("/api/tickets", new
        {
            kind = "request", subject = "Property tax", description = "Asked for the 2026 statement", departmentId = department,
            citizenPhone = "+40256000077",
        }, Ct);
        created.EnsureSuccessStatusCode();
        var ticket = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        await using var desk = await SseClient.OpenAsync(host.Admin(), $"/api/agents/{agent}/desk/stream", Ct);
        await desk.WaitForAsync("desk", d => d.GetProperty("agent").GetProperty("state").GetString() == "available", Ct);

        long rangAt = 0;
        var rings = phone.WaitForRingAsync(Ct).ContinueWith(_ => rangAt = Stopwatch.GetTimestamp(), TaskScheduler.Default);
        var caller = await CallTaxesAsync(host.Sim, "+40256000077");
        var (ringing, _) = await desk.WaitForAsync("desk", d => d.GetProperty("call").ValueKind == JsonValueKind.Object, Ct);
        var shownAt = Stopwatch.GetTimestamp();
        await rings;

        Assert.True(Stopwatch.GetElapsedTime(rangAt, shownAt) < TimeSpan.FromSeconds(1), $"shown {Stopwatch.GetElapsedTime(rangAt, shownAt)} after the phone rang");
        var call = ringing.GetProperty("call");
        Assert.Equal("ringing", call.GetProperty("phase").GetString());
        Assert.Equal(caller.ChannelId, call.GetProperty("callId").GetString());
        Assert.Equal("+40256000077", call.GetProperty("callerNumber").GetString());
        Assert.Equal("ro", call.GetProperty("language").GetString());
        Assert.Equal("taxes", call.GetProperty("queueCode").GetString());
        Assert.False(call.GetProperty("urgent").GetBoolean());
        Assert.Equal(["welcome", "language", "hours", "main", "taxes"], call.GetProperty("ivrPath").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("ringing", ringing.GetProperty("agent").GetProperty("state").GetString());

        var (withHistory, _) = await desk.WaitForAsync("desk", d => d.GetProperty("history").ValueKind == JsonValueKind.Object, Ct);
        var open = withHistory.GetProperty("history").GetProperty("openTickets").EnumerateArray().ToList();
        Assert.Equal([ticket], open.Select(t => t.GetProperty("id").GetInt64()));
        Assert.NotEqual(JsonValueKind.Null, withHistory.GetProperty("call").GetProperty("callRowId").ValueKind);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var audited = await connection.QuerySingleAsync<string>(
            "SELECT data::text FROM audit_log WHERE action = 'citizen.history_read' AND entity = 'agent' AND entity_id = @id", new { id = agent.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Contains(ticket.ToString(System.Globalization.CultureInfo.InvariantCulture), audited, StringComparison.Ordinal);
        Assert.DoesNotContain("+40256000077", audited, StringComparison.Ordinal);

        var board = await admin.GetFromJsonAsync<JsonElement>("/api/wallboard", Ct);
        Assert.Equal(caller.ChannelId, AgentOf(board, agent).GetProperty("currentCall").GetProperty("callId").GetString());
        var taxes = QueueOf(board, "taxes");
        Assert.Equal((1, 1), (taxes.GetProperty("waiting").GetInt32(), taxes.GetProperty("offered").GetInt64()));
        await caller.HangUpAsync(Ct);
    }

    [Fact]
    public async Task Answered_and_abandoned_calls_move_the_board_and_thresholds_turn_the_queue_amber_then_red()
    {
        await using var host = await IvrHost.StartAsync(settings: Settings(
            ("Wallboard:LongestWaitAmberSeconds", "1"), ("Wallboard:LongestWaitRedSeconds", "2.5"), ("Wallboard:MinimumOffered", "1"),
            ("Wallboard:AbandonRateAmber", "0.2"), ("Wallboard:AbandonRateRed", "0.5")));
        using var admin = host.Admin();
        await using var board = await SseClient.OpenAsync(host.Admin(), "/api/wallboard/stream", Ct);
        var (first, _) = await board.WaitForAsync("board", _ => true, Ct);
        Assert.Equal("ok", QueueOf(first, "taxes").GetProperty("status").GetString());

        // Nobody logged in (join-empty): the caller waits, the longest wait grows past amber, then red.
        var waiting = await CallTaxesAsync(host.Sim, "+40256000101");
        var (amber, _) = await board.WaitForAsync("board", b => QueueOf(b, "taxes").GetProperty("status").GetString() != "ok", Ct);
        Assert.Equal("amber", QueueOf(amber, "taxes").GetProperty("status").GetString());
        Assert.Equal(["longest-wait"], QueueOf(amber, "taxes").GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        await board.WaitForAsync("board", b => QueueOf(b, "taxes").GetProperty("status").GetString() == "red", Ct);

        // The caller hangs up: abandoned 1 of 1 offered, red for the abandon rate (and the service level).
        await waiting.HangUpAsync(Ct);
        var (abandoned, _) = await board.WaitForAsync("board", b => QueueOf(b, "taxes").GetProperty("abandoned").GetInt64() == 1, Ct);
        var taxes = QueueOf(abandoned, "taxes");
        Assert.Equal((0, 1L, 0L), (taxes.GetProperty("waiting").GetInt32(), taxes.GetProperty("offered").GetInt64(), taxes.GetProperty("answered").GetInt64()));
        Assert.Equal("red", taxes.GetProperty("status").GetString());
        // Nothing answered yet: the service level is 0 as well.
        Assert.Equal(["abandon-rate", "service-level"], taxes.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));

        // An agent answers the next caller: answered 1, service level 1/2, the agent's calls today 1.
        var phone = host.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        var agent = await AddAgentAsync(host, "agent1");
        var served = await CallTaxesAsync(host.Sim, "+40256000102");
        var (answered, _) = await board.WaitForAsync("board", b => QueueOf(b, "taxes").GetProperty("answered").GetInt64() == 1, Ct);
        taxes = QueueOf(answered, "taxes");
        Assert.Equal(2, taxes.GetProperty("offered").GetInt64());
        Assert.Equal(0.5, taxes.GetProperty("serviceLevel").GetDouble());
        Assert.True(taxes.GetProperty("averageSpeedOfAnswerSeconds").GetDouble() >= 0);
        var onCall = AgentOf(answered, agent);
        Assert.Equal(1, onCall.GetProperty("callsToday").GetInt64());
        Assert.Equal("on_call", onCall.GetProperty("state").GetString());
        Assert.Equal("taxes", onCall.GetProperty("currentCall").GetProperty("queueCode").GetString());
        await served.HangUpAsync(Ct);
        await board.WaitForAsync("board", b => AgentOf(b, agent) is { ValueKind: JsonValueKind.Object } a && a.GetProperty("currentCall").ValueKind == JsonValueKind.Null, Ct);
    }

    [Fact]
    public async Task Fifty_open_boards_get_the_same_event_for_one_change()
    {
        await using var host = await IvrHost.StartAsync(settings: Settings());
        await host.Sim.Phone("agent1").RegisterAsync(Ct);
        var agent = await AddAgentAsync(host, "agent1", login: false);
        var boards = new List<SseClient>();
        try
        {
            for (var i = 0; i < 50; i++)
            {
                var viewer = await SseClient.OpenAsync(host.Admin(), "/api/wallboard/stream", Ct);
                boards.Add(viewer);
                await viewer.WaitForAsync("board", b => StateOf(AgentOf(b, agent)).State == "logged_out", Ct);
            }
            using var admin = host.Admin();
            (await admin.PostAsJsonAsync($"/api/agents/{agent}/pause", new { reason = "training" }, Ct)).EnsureSuccessStatusCode();

            var seen = await Task.WhenAll(boards.Select(b => b.WaitForAsync("board", d => StateOf(AgentOf(d, agent)).State == "paused", Ct)));
            Assert.All(seen, s => Assert.Equal("training", AgentOf(s.Data, agent).GetProperty("reason").GetString()));
            Assert.Single(seen.Select(s => s.Raw).Distinct());
        }
        finally
        {
            foreach (var viewer in boards)
            {
                await viewer.DisposeAsync();
            }
        }
    }

    private static async Task<long> DepartmentOfAsync(IvrHost host, string queue)
    {
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        return await connection.QuerySingleAsync<long>("SELECT department_id FROM queues WHERE code = @queue", new { queue });
    }
}

/// <summary>Pauses and wrap-ups from the desk and from the deskphone, on a simulator whose trunk carries feature codes.</summary>
public sealed class DeskActionTests
{
    private static CancellationToken Ct => TestContext.Timeout(60);

    private static async Task<(AsteriskSimulator Sim, IvrHost Host)> StartAsync(params (string Key, string Value)[] settings)
    {
        var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            AriUser = "cc-desk",
            AriPassword = Guid.NewGuid().ToString("N"),
            DefaultMediaLength = TimeSpan.FromMilliseconds(30),
            Time = new ScaledTimeProvider(1, IvrHost.WednesdayMorning),
            TrunkStasisAppData = "citycontact,${EXTEN}",
            PhoneEndpoints = ["agent1"],
        }, Ct);
        var all = new Dictionary<string, string?>
        {
            ["Queues:WrapUpSeconds"] = "600",
            ["Queues:RingTimeoutSeconds"] = "5",
            ["Queues:AnnounceEverySeconds"] = "600",
            ["Queues:NoAgents"] = "JoinEmpty",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return (sim, await IvrHost.StartAsync(settings: all, externalSimulator: sim));
    }

    private static JsonElement AgentOf(JsonElement board, long id) => WallboardTests.AgentOf(board, id);

    private static (string? State, string? Reason) StateOf(JsonElement agent) => WallboardTests.StateOf(agent);

    [Fact]
    public async Task A_pause_from_the_api_and_the_deskphones_46_show_on_the_board_and_the_desk_both_ways()
    {
        var (sim, host) = await StartAsync();
        await using var simulator = sim;
        await using var service = host;
        await sim.Phone("agent1").RegisterAsync(Ct);
        var agent = await WallboardTests.AddAgentAsync(host, "agent1");
        await using var board = await SseClient.OpenAsync(host.Admin(), "/api/wallboard/stream", Ct);
        await using var desk = await SseClient.OpenAsync(host.Admin(), $"/api/agents/{agent}/desk/stream", Ct);
        await desk.WaitForAsync("desk", d => StateOf(d.GetProperty("agent")) == ("available", null), Ct);

        using var admin = host.Admin();
        var response = await admin.PostAsJsonAsync($"/api/agents/{agent}/pause", new { reason = "lunch" }, Ct);
        response.EnsureSuccessStatusCode();
        Assert.Equal("paused", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("state").GetString());
        await board.WaitForAsync("board", b => StateOf(AgentOf(b, agent)) == ("paused", "lunch"), Ct);
        await desk.WaitForAsync("desk", d => StateOf(d.GetProperty("agent")) == ("paused", "lunch"), Ct);

        // *46 from the deskphone: back to available, then paused again (a break, the phone has no reasons).
        await (sim.Trunk.Dial("agent1", "feature,*46,agent1")).WaitForHangupAsync(Ct);
        await board.WaitForAsync("board", b => StateOf(AgentOf(b, agent)) == ("available", null), Ct);
        await desk.WaitForAsync("desk", d => StateOf(d.GetProperty("agent")) == ("available", null), Ct);
        await (sim.Trunk.Dial("agent1", "feature,*46,agent1")).WaitForHangupAsync(Ct);
        await desk.WaitForAsync("desk", d => StateOf(d.GetProperty("agent")) == ("paused", "break"), Ct);
        (await admin.PostAsync($"/api/agents/{agent}/unpause", null, Ct)).EnsureSuccessStatusCode();
        await board.WaitForAsync("board", b => StateOf(AgentOf(b, agent)) == ("available", null), Ct);

        var bad = await admin.PostAsJsonAsync($"/api/agents/{agent}/pause", new { reason = "nap" }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("reason", out _));

        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var actions = (await connection.QueryAsync<(string Actor, string Action)>(
            "SELECT actor, action FROM audit_log WHERE entity = 'agent' AND entity_id = @id AND action IN ('agent.login', 'agent.logout', 'agent.pause', 'agent.unpause') ORDER BY id",
            new { id = agent.ToString(System.Globalization.CultureInfo.InvariantCulture) })).ToList();
        Assert.Equal(["agent.login", "agent.pause", "agent.unpause"], actions.Select(a => a.Action));
        Assert.All(actions, a => Assert.False(string.IsNullOrEmpty(a.Actor)));
    }

    [Fact]
    public async Task The_agent_gives_the_call_a_wrap_up_code_and_ends_the_wrap_up_early()
    {
        var (sim, host) = await StartAsync();
        await using var simulator = sim;
        await using var service = host;
        var phone = sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        var agent = await WallboardTests.AddAgentAsync(host, "agent1");
        using var admin = host.Admin();
        var none = await admin.PostAsJsonAsync($"/api/agents/{agent}/wrapup", new { code = "resolved" }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, none.StatusCode);

        var caller = await WallboardTests.CallTaxesAsync(sim, "+40256000201", "inbound,0256969");
        await phone.WaitForAnsweredCallAsync(Ct);
        await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Contains(caller.ChannelId)), Ct);
        await phone.HangUpAsync(Ct);
        await using var desk = await SseClient.OpenAsync(host.Admin(), $"/api/agents/{agent}/desk/stream", Ct);
        await desk.WaitForAsync("desk", d => d.GetProperty("call") is { ValueKind: JsonValueKind.Object } c && c.GetProperty("phase").GetString() == "wrap-up", Ct);

        var bad = await admin.PostAsJsonAsync($"/api/agents/{agent}/wrapup", new { code = "" }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        var coded = await admin.PostAsJsonAsync($"/api/agents/{agent}/wrapup", new { code = "information-given" }, Ct);
        coded.EnsureSuccessStatusCode();
        var afterCode = await coded.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("information-given", afterCode.GetProperty("call").GetProperty("wrapUpCode").GetString());

        var ended = await admin.PostAsync($"/api/agents/{agent}/wrapup/end", null, Ct);
        ended.EnsureSuccessStatusCode();
        var afterEnd = await ended.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("available", afterEnd.GetProperty("agent").GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, afterEnd.GetProperty("call").ValueKind);
        await desk.WaitForAsync("desk", d => d.GetProperty("agent").GetProperty("state").GetString() == "available", Ct);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, (await admin.PostAsync($"/api/agents/{agent}/wrapup/end", null, Ct)).StatusCode);

        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var stored = await connection.QuerySingleAsync<(string Code, long? CallId)>(
            "SELECT code, call_id FROM call_wrapups WHERE channel_id = @id AND agent_id = @agent", new { id = caller.ChannelId, agent });
        Assert.Equal("information-given", stored.Code);
        Assert.NotNull(stored.CallId);
    }

    [Fact]
    public async Task The_worklist_has_the_agents_open_tickets_with_their_sla_countdown_and_the_queues_pending_callbacks_masked()
    {
        var (sim, host) = await StartAsync();
        await using var simulator = sim;
        await using var service = host;
        var agent = await WallboardTests.AddAgentAsync(host, "agent1", login: false);
        using var admin = host.Admin();
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var department = await connection.QuerySingleAsync<long>("SELECT department_id FROM queues WHERE code = 'taxes'");
        var category = await admin.PostAsJsonAsync("/api/ticket-categories", new { code = "property-tax", name = "Property tax", departmentId = department, slaBusinessHours = 16 }, Ct);
        category.EnsureSuccessStatusCode();
        var categoryId = (await category.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        var created = await admin.PostAsJsonAsync("/api/tickets", new
        {
            kind = "request", subject = "Property tax", description = "Statement", categoryId, citizenPhone = "+40256000301",
        }, Ct);
        created.EnsureSuccessStatusCode();
        var ticket = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        (await admin.PostAsJsonAsync($"/api/tickets/{ticket}/assign", new { agentId = agent }, Ct)).EnsureSuccessStatusCode();
        var callback = await connection.QuerySingleAsync<long>(
            "INSERT INTO callback_requests (department_id, phone, not_before) VALUES (@department, '+40256000302', now()) RETURNING id", new { department });

        var worklist = await admin.GetFromJsonAsync<JsonElement>($"/api/agents/{agent}/worklist", Ct);
        var assigned = worklist.GetProperty("tickets").EnumerateArray().Single();
        Assert.Equal(ticket, assigned.GetProperty("id").GetInt64());
        Assert.Equal(("assigned", "Property tax"), (assigned.GetProperty("status").GetString(), assigned.GetProperty("category").GetString()));
        var due = assigned.GetProperty("dueAt").GetDateTimeOffset();
        var at = worklist.GetProperty("at").GetDateTimeOffset();
        Assert.Equal(Math.Round((due - at).TotalSeconds), assigned.GetProperty("secondsLeft").GetDouble());
        var pending = worklist.GetProperty("callbacks").EnumerateArray().Single();
        Assert.Equal((callback, "taxes"), (pending.GetProperty("id").GetInt64(), pending.GetProperty("queueCode").GetString()));
        Assert.DoesNotContain("000302", pending.GetProperty("phone").GetString()!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_key_may_not_read_or_act_on_a_desk_that_is_not_its_own()
    {
        var (sim, host) = await StartAsync();
        await using var simulator = sim;
        await using var service = host;
        var agent = await WallboardTests.AddAgentAsync(host, "agent1", login: false);
        using var admin = host.Admin();
        var key = (await (await admin.PostAsJsonAsync("/api/keys", new { name = "desk key", role = "agent" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct))
            .GetProperty("key").GetString()!;
        using var agentClient = host.Client();
        agentClient.DefaultRequestHeaders.Add("X-Api-Key", key);

        // An API key carries no agent_id: it is no agent's own desk.
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await agentClient.GetAsync($"/api/agents/{agent}/desk", Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await agentClient.PostAsJsonAsync($"/api/agents/{agent}/pause", new { reason = "break" }, Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await agentClient.GetAsync("/api/wallboard", Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await admin.GetAsync($"/api/agents/{agent}/desk", Ct)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await admin.GetAsync("/api/agents/987654/desk", Ct)).StatusCode);
    }
}
