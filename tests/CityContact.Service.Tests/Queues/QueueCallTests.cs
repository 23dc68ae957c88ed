using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Queues;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator.Scripting;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Service.Tests.Queues;

/// <summary>Whole calls through the IVR into the taxes queue (menu 1 → 1) with the simulator's deskphones agent1 and agent2.</summary>
public sealed class QueueCallTests
{
    private const string CityNumber = "0256969";

    private static CancellationToken Ct => TestContext.Timeout(40);

    private static Task<IvrHost> StartAsync(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Queues:WrapUpSeconds"] = "0.3",
            ["Queues:RingTimeoutSeconds"] = "1",
            ["Queues:AnnounceEverySeconds"] = "600",
            ["Queues:NoAgents"] = "JoinEmpty",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return IvrHost.StartAsync(settings: all);
    }

    private static async Task<long> AddAgentAsync(IvrHost host, string phone, int penalty, bool login = true)
    {
        using var admin = host.Admin();
        var response = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = phone, sipEndpoint = $"PJSIP/{phone}", skills = new[] { new { skill = "taxes", penalty } },
        }, Ct);
        response.EnsureSuccessStatusCode();
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        if (login)
        {
            (await admin.PostAsync($"/api/agents/{id}/login", null, Ct)).EnsureSuccessStatusCode();
        }
        return id;
    }

    private static async Task<string> AgentStateAsync(IvrHost host, long id)
    {
        using var admin = host.Admin();
        var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", Ct);
        return agents.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == id).GetProperty("state").GetString()!;
    }

    private static async Task WaitForStateAsync(IvrHost host, long id, string state, CancellationToken ct)
    {
        while (await AgentStateAsync(host, id) != state)
        {
            await Task.Delay(20, ct);
        }
    }

    private static async Task<SimulatedCaller> CallTaxesAsync(IvrHost host, string from = "+40256000001")
    {
        var caller = host.Sim.Trunk.Dial(from, CityNumber);
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        await caller.PressAsync("1", Ct);
        return caller;
    }

    private static async Task<(long? AgentId, long? WaitMs, long? TalkMs, long? QueueId, string? Outcome)> QueueColumnsAsync(IvrHost host, string channelId)
    {
        await host.EndedCallAsync(channelId, Ct);
        await host.Services.GetRequiredService<QueueCallLog>().WaitUntilStoredAsync(Ct);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        return await connection.QuerySingleAsync<(long?, long?, long?, long?, string?)>(
            "SELECT agent_id, queue_wait_ms, talk_ms, queue_id, outcome FROM calls WHERE channel_id = @channelId", new { channelId });
    }

    [Fact]
    public async Task The_agent_with_the_lowest_penalty_answers_and_goes_through_wrap_up_back_to_available()
    {
        await using var host = await StartAsync(("Queues:Strategy", "Linear"));
        var preferred = host.Sim.Phone("agent2").AnswerAfter(TimeSpan.Zero);
        await host.Sim.Phone("agent1").RegisterAsync(Ct);
        await preferred.RegisterAsync(Ct);
        var second = await AddAgentAsync(host, "agent1", penalty: 5);
        var first = await AddAgentAsync(host, "agent2", penalty: 0);
        await WaitForStateAsync(host, first, "available", Ct);

        var caller = await CallTaxesAsync(host);
        await preferred.WaitForAnsweredCallAsync(Ct);
        await host.Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Contains(caller.ChannelId)), Ct);
        Assert.Equal("on_call", await AgentStateAsync(host, first));
        Assert.Equal("available", await AgentStateAsync(host, second));
        await preferred.HangUpAsync(Ct);
        await caller.WaitForHangupAsync(Ct);

        var row = await QueueColumnsAsync(host, caller.ChannelId);
        Assert.Equal(first, row.AgentId);
        Assert.Equal("answered", row.Outcome);
        Assert.NotNull(row.WaitMs);
        Assert.NotNull(row.TalkMs);
        await WaitForStateAsync(host, first, "available", Ct);
        var log = host.Services.GetRequiredService<AgentStateLog>();
        await log.WaitUntilStoredAsync(Ct);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var states = (await connection.QueryAsync<string>("SELECT state FROM agent_state_changes WHERE agent_id = @first ORDER BY at, id", new { first })).ToList();
        // Created with an unregistered phone (stored as logged_out), then logged in once the phone registered.
        Assert.Equal(["logged_out", "available", "talking", "wrap_up", "available"], states);
    }

    [Fact]
    public async Task An_agent_who_does_not_answer_within_the_ring_timeout_is_skipped_for_the_next()
    {
        await using var host = await StartAsync(("Queues:Strategy", "Linear"));
        var silent = host.Sim.Phone("agent1").DoNotAnswer();
        var next = host.Sim.Phone("agent2").AnswerAfter(TimeSpan.Zero);
        await silent.RegisterAsync(Ct);
        await next.RegisterAsync(Ct);
        var skipped = await AddAgentAsync(host, "agent1", penalty: 0);
        var answering = await AddAgentAsync(host, "agent2", penalty: 1);
        await WaitForStateAsync(host, answering, "available", Ct);

        var caller = await CallTaxesAsync(host);
        await silent.WaitForRingAsync(Ct);
        await next.WaitForAnsweredCallAsync(Ct);
        await next.HangUpAsync(Ct);

        var row = await QueueColumnsAsync(host, caller.ChannelId);
        Assert.Equal(answering, row.AgentId);
        Assert.Equal("answered", row.Outcome);
        using var admin = host.Admin();
        var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", Ct);
        Assert.Equal(1, agents.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == skipped).GetProperty("misses").GetInt32());
    }

    [Fact]
    public async Task A_caller_hanging_up_while_waiting_is_recorded_as_abandoned_with_the_wait()
    {
        await using var host = await StartAsync();
        var caller = await CallTaxesAsync(host);
        await host.Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "holding" && b.Channels.Contains(caller.ChannelId)), Ct);
        await caller.HangUpAsync(Ct);

        var row = await QueueColumnsAsync(host, caller.ChannelId);
        Assert.Equal("abandoned", row.Outcome);
        Assert.NotNull(row.QueueId);
        Assert.Null(row.AgentId);
        Assert.True(row.WaitMs >= 0);
    }

    [Fact]
    public async Task With_leave_when_empty_and_no_agent_logged_in_the_caller_hears_the_message_and_the_call_fails()
    {
        await using var host = await StartAsync(("Queues:NoAgents", "LeaveWhenEmpty"));
        var caller = await CallTaxesAsync(host);
        await caller.WaitForHangupAsync(Ct);
        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal("failed", call.Outcome);
        Assert.Equal("queue-unavailable", call.HangupCause);
        Assert.Contains(timeline, e => e.Type == "queue.overflow" && e.Data.Contains("no-agents", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_nobody_to_serve_the_queue_the_caller_leaves_a_voicemail_that_becomes_a_callback_ticket()
    {
        await using var host = await StartAsync(("Queues:NoAgents", "LeaveWhenEmpty"), ("Queues:OverflowToVoicemail", "true"));
        var caller = await CallTaxesAsync(host);
        await host.Sim.WaitUntilAsync(s => s.LiveRecordings.Any(r => r.TargetUri == "channel:" + caller.ChannelId)).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        // The caller talks for a second and a half (the stimulus itself takes that long), then presses #.
        caller.Speak(TimeSpan.FromSeconds(1.5));
        await Task.Delay(TimeSpan.FromSeconds(1.7), Ct);
        await caller.PressAsync("#", Ct);
        await caller.WaitForHangupAsync(Ct);
        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal("voicemail", call.Outcome);
        Assert.Contains(timeline, e => e.Type == "queue.overflow" && e.Data.Contains("no-agents", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "voicemail.ticket");
    }

    [Fact]
    public async Task An_unregistered_phone_makes_its_logged_in_agent_offline()
    {
        await using var host = await StartAsync();
        var phone = host.Sim.Phone("agent1");
        var agent = await AddAgentAsync(host, "agent1", penalty: 0);
        Assert.Equal("offline", await AgentStateAsync(host, agent));
        await phone.RegisterAsync(Ct);
        await WaitForStateAsync(host, agent, "available", Ct);
        await phone.UnregisterAsync(Ct);
        await WaitForStateAsync(host, agent, "offline", Ct);
    }

    [Fact]
    public async Task A_supervisor_pause_keeps_calls_away_until_unpaused()
    {
        await using var host = await StartAsync();
        var phone = host.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        var agent = await AddAgentAsync(host, "agent1", penalty: 0);
        await WaitForStateAsync(host, agent, "available", Ct);
        using var admin = host.Admin();
        (await admin.PostAsJsonAsync($"/api/agents/{agent}/pause", new { reason = "lunch" }, Ct)).EnsureSuccessStatusCode();

        var caller = await CallTaxesAsync(host);
        await host.Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "holding" && b.Channels.Contains(caller.ChannelId)), Ct);
        var realtime = await admin.GetFromJsonAsync<JsonElement>("/api/queues/realtime", Ct);
        var taxes = realtime.GetProperty("items").EnumerateArray().Single(q => q.GetProperty("code").GetString() == "taxes");
        Assert.Equal(1, taxes.GetProperty("waiting").GetInt32());
        Assert.Equal(1, taxes.GetProperty("agentsByState").GetProperty("paused").GetInt32());

        (await admin.PostAsync($"/api/agents/{agent}/unpause", null, Ct)).EnsureSuccessStatusCode();
        await phone.WaitForAnsweredCallAsync(Ct);
        await phone.HangUpAsync(Ct);
        var row = await QueueColumnsAsync(host, caller.ChannelId);
        Assert.Equal(agent, row.AgentId);
    }

    [Fact]
    public async Task Pressing_1_while_waiting_and_confirming_the_caller_id_stores_a_callback_and_ends_the_call_as_callback()
    {
        await using var host = await StartAsync();
        var caller = await CallTaxesAsync(host, from: "+40256000007");
        await host.Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "holding" && b.Channels.Contains(caller.ChannelId)), Ct);
        await caller.PressAsync("1", Ct);
        await host.Sim.WaitUntilAsync(s => s.Playbacks.Any(p => p.MediaUri.EndsWith("/callback-offer", StringComparison.Ordinal)), Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForHangupAsync(Ct);

        var row = await QueueColumnsAsync(host, caller.ChannelId);
        Assert.Equal("callback", row.Outcome);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var (phone, state, attempts, notBefore, callId) = await connection.QuerySingleAsync<(string, string, int, DateTime, long?)>(
            "SELECT phone, state, attempts, not_before, call_id FROM callback_requests");
        Assert.Equal("+40256000007", phone);
        // Linked to the call it was asked for, so the call's report and the callback's history meet.
        Assert.Equal(await connection.ExecuteScalarAsync<long>("SELECT id FROM calls WHERE channel_id = @id", new { id = caller.ChannelId }), callId);
        // Its trigger fires at once and it waits in the queue in the caller's place (nobody is free): nobody was dialled.
        Assert.True(state is "pending" or "dialing", state);
        Assert.Equal(0, attempts);
        Assert.True(notBefore <= DateTime.SpecifyKind(IvrHost.WednesdayMorning.UtcDateTime.AddMinutes(5), DateTimeKind.Unspecified));
    }
}
