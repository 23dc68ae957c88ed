using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Queues;
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
/// Against a simulator of our own: more deskphones than the built-in two, and a trunk whose dialplan passes the dialled
/// "number" as the Stasis args, so a test dials <c>inbound,0256969</c> for a citizen or <c>feature,*45,agent1</c> for a deskphone.
/// </summary>
public sealed class QueueLoadTests
{
    private static CancellationToken Ct => TestContext.Timeout(90);

    private static async Task<(AsteriskSimulator Sim, IvrHost Host)> StartAsync(int phones, params (string Key, string Value)[] settings)
    {
        var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            AriUser = "cc-queues",
            AriPassword = Guid.NewGuid().ToString("N"),
            DefaultMediaLength = TimeSpan.FromMilliseconds(30),
            Time = new ScaledTimeProvider(1, IvrHost.WednesdayMorning),
            TrunkStasisAppData = "citycontact,${EXTEN}",
            PhoneEndpoints = [.. Enumerable.Range(1, phones).Select(i => $"agent{i}")],
        }, Ct);
        var all = new Dictionary<string, string?>
        {
            ["Queues:WrapUpSeconds"] = "0.05",
            ["Queues:RingTimeoutSeconds"] = "2",
            ["Queues:AnnounceEverySeconds"] = "600",
            ["Queues:NoAgents"] = "JoinEmpty",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }
        return (sim, await IvrHost.StartAsync(settings: all, externalSimulator: sim));
    }

    private static async Task<long> AddAgentAsync(IvrHost host, string phone, params string[] skills)
    {
        using var admin = host.Admin();
        var response = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = phone, sipEndpoint = $"PJSIP/{phone}", skills = skills.Select(s => new { skill = s, penalty = 0 }),
        }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    private static async Task<string> AgentStateAsync(IvrHost host, long id)
    {
        using var admin = host.Admin();
        var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", Ct);
        return agents.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == id).GetProperty("state").GetString()!;
    }

    private static async Task<SimulatedCaller> CallAsync(AsteriskSimulator sim, string from, string menuDigit)
    {
        var caller = sim.Trunk.Dial(from, "inbound,0256969");
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        await caller.PressAsync(menuDigit, Ct);
        return caller;
    }

    private static Task InHoldingAsync(AsteriskSimulator sim, SimulatedCaller caller) =>
        sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "holding" && b.Channels.Contains(caller.ChannelId)), Ct);

    [Fact]
    public async Task Feature_code_45_logs_the_agent_in_and_out_and_46_toggles_pause_each_with_a_spoken_confirmation()
    {
        var (sim, host) = await StartAsync(1);
        await using var simulator = sim;
        await using var service = host;
        await sim.Phone("agent1").RegisterAsync(Ct);
        var agent = await AddAgentAsync(host, "agent1", "taxes");
        Assert.Equal("logged_out", await AgentStateAsync(host, agent));

        async Task DialAsync(string code, string expected, string prompt)
        {
            var phone = sim.Trunk.Dial("agent1", $"feature,{code},agent1");
            await phone.WaitForHangupAsync(Ct);
            Assert.Equal(expected, await AgentStateAsync(host, agent));
            Assert.Contains(sim.Requests, r => r.Path.Contains(phone.ChannelId, StringComparison.Ordinal) && r.Path.Contains("/play", StringComparison.Ordinal)
                && r.Query.Contains(prompt, StringComparison.Ordinal));
        }

        await DialAsync("*45", "available", "agent-logged-in");
        await DialAsync("*46", "paused", "agent-paused");
        await DialAsync("*46", "available", "agent-unpaused");
        await DialAsync("*45", "logged_out", "agent-logged-out");
    }

    [Fact]
    public async Task An_urgent_caller_is_served_before_earlier_normal_callers_who_are_then_served_in_arrival_order()
    {
        var (sim, host) = await StartAsync(1);
        await using var simulator = sim;
        await using var service = host;
        var phone = sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        var agent = await AddAgentAsync(host, "agent1", "taxes", "urgent");
        var first = await CallAsync(sim, "+40256000001", "1");
        await InHoldingAsync(sim, first);
        var second = await CallAsync(sim, "+40256000002", "1");
        await InHoldingAsync(sim, second);
        var urgent = await CallAsync(sim, "+40256000003", "4");
        await InHoldingAsync(sim, urgent);

        using var admin = host.Admin();
        (await admin.PostAsync($"/api/agents/{agent}/login", null, Ct)).EnsureSuccessStatusCode();
        var served = new List<string>();
        for (var turn = 0; turn < 3; turn++)
        {
            await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
            served.Add(sim.Bridges.Single(b => b.BridgeType == "mixing" && b.Channels.Length == 2).Channels.Single(c => c != phone.CurrentChannelId));
            await phone.HangUpAsync(Ct);
            await sim.WaitUntilAsync(s => !s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
        }
        Assert.Equal([urgent.ChannelId, first.ChannelId, second.ChannelId], served);
    }

    [Fact]
    public async Task Two_hundred_callers_and_twenty_agents_every_call_is_accounted_for_once_and_no_agent_has_two_calls()
    {
        const int agents = 20, callers = 200;
        var (sim, host) = await StartAsync(agents, ("Queues:Strategy", "RoundRobin"));
        await using var simulator = sim;
        await using var service = host;
        using var admin = host.Admin();
        await using (var setup = new NpgsqlConnection(host.Database.ConnectionString))
        {
            // Room for every caller (the default of 50 would send the rest to the overflow); read with the agents below.
            await setup.ExecuteAsync("UPDATE queues SET max_callers = 1000 WHERE code = 'taxes'");
        }
        for (var i = 1; i <= agents; i++)
        {
            await sim.Phone($"agent{i}").AnswerAfter(TimeSpan.FromMilliseconds(20)).RegisterAsync(Ct);
            var id = await AddAgentAsync(host, $"agent{i}", "taxes");
            (await admin.PostAsync($"/api/agents/{id}/login", null, Ct)).EnsureSuccessStatusCode();
        }
        var doubleBooked = false;
        var phones = Enumerable.Range(1, agents).Select(i => sim.Phone($"agent{i}")).ToList();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var agentLoops = phones.Select(phone => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await phone.WaitForAnsweredCallAsync(stop.Token);
                await Task.Yield();
                await phone.HangUpAsync(stop.Token);
            }
        })).ToList();
        var monitor = sim.WaitUntilAsync(s =>
        {
            doubleBooked |= s.Channels.Where(c => c.Name.StartsWith("PJSIP/agent", StringComparison.Ordinal))
                .GroupBy(c => c.Name[..c.Name.LastIndexOf('-')]).Any(g => g.Count() > 1);
            return stop.IsCancellationRequested;
        }, CancellationToken.None);

        var all = await Task.WhenAll(Enumerable.Range(0, callers).Select(i => CallAsync(sim, $"+4025610{i:D4}", "1")));
        foreach (var caller in all)
        {
            await caller.WaitForHangupAsync(Ct);
        }
        await stop.CancelAsync();
        await Task.WhenAll(agentLoops.Select(t => t.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)));

        await host.Recorder.WaitUntilStoredAsync(Ct);
        while (host.App.ActiveCalls > 0)
        {
            await Task.Delay(20, Ct);
        }
        await host.Recorder.WaitUntilStoredAsync(Ct);
        await host.Services.GetRequiredService<QueueCallLog>().WaitUntilStoredAsync(Ct);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var rows = (await connection.QueryAsync<(string ChannelId, string? Outcome, long? AgentId)>(
            "SELECT channel_id, outcome, agent_id FROM calls")).ToList();
        Assert.Equal(callers, rows.Count);
        Assert.Equal(callers, rows.Select(r => r.ChannelId).Distinct().Count());
        Assert.All(rows, r => Assert.Equal("answered", r.Outcome));
        Assert.All(rows, r => Assert.NotNull(r.AgentId));
        Assert.False(doubleBooked);
    }

    [Fact]
    public async Task A_callback_rings_the_agent_first_then_dials_the_citizen_once_and_is_recorded_as_reached()
    {
        var (sim, host) = await StartAsync(2, ("Queues:CallbackEndpoint", "PJSIP/agent2"));
        await using var simulator = sim;
        await using var service = host;
        var agentPhone = sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        var citizen = sim.Phone("agent2").AnswerAfter(TimeSpan.FromMilliseconds(50));
        await agentPhone.RegisterAsync(Ct);
        await citizen.RegisterAsync(Ct);
        var agent = await AddAgentAsync(host, "agent1", "taxes");
        using var admin = host.Admin();
        (await admin.PostAsync($"/api/agents/{agent}/login", null, Ct)).EnsureSuccessStatusCode();
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var department = await connection.ExecuteScalarAsync<long>("SELECT id FROM departments WHERE code = 'taxes'");

        var id = await host.Services.GetRequiredService<ICallbackScheduler>().RequestAsync(
            new CallbackRequest(department, "+40721000444", null, null, IvrHost.WednesdayMorning, 0), Ct);
        await citizen.WaitForAnsweredCallAsync(Ct);
        await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
        await citizen.HangUpAsync(Ct);

        var store = host.Services.GetRequiredService<CallbackStore>();
        while ((await store.GetAsync(id, Ct))!.State != CallbackStates.Reached)
        {
            await Task.Delay(20, Ct);
        }
        var originates = sim.Requests.Where(r => r.Method == "POST" && r.Path.StartsWith("/ari/channels", StringComparison.Ordinal)
            && r.Parameters.TryGetValue("endpoint", out _)).Select(r => r.Parameters["endpoint"]).ToList();
        Assert.Equal(["PJSIP/agent1", "PJSIP/agent2"], originates);
        Assert.Equal(1, (await store.GetAsync(id, Ct))!.Attempts);
    }
}
