using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using Dapper;
using Npgsql;

namespace CityContact.Service.Tests.Emergency;

/// <summary>Emergency groups convened through the simulator: four deskphones, a mixing bridge, retries, a busy member, the convener's controls.</summary>
public sealed class EmergencyConferenceTests
{
    private static readonly string[] Phones = ["agent1", "agent2", "agent3", "agent4"];

    private static CancellationToken Ct => TestContext.Timeout(60);

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Queues:WrapUpSeconds"] = "0.3",
        ["Queues:RingTimeoutSeconds"] = "2",
        ["Queues:AnnounceEverySeconds"] = "600",
        ["Queues:NoAgents"] = "JoinEmpty",
    };

    private static Task<AsteriskSimulator> SimulatorAsync() => AsteriskSimulator.StartAsync(new SimulatorOptions
    {
        AriUser = "cc-emergency",
        AriPassword = Guid.NewGuid().ToString("N"),
        DefaultMediaLength = TimeSpan.FromMilliseconds(30),
        Time = new ScaledTimeProvider(1, IvrHost.WednesdayMorning),
        PhoneEndpoints = Phones,
    }, Ct);

    private static async Task<JsonElement> CreateGroupAsync(IvrHost host, int retries = 2)
    {
        using var admin = host.Admin();
        var response = await admin.PostAsJsonAsync("/api/emergency/groups", new
        {
            name = "Severe weather",
            ringSeconds = 5,
            retries,
            retrySeconds = 1,
            members = Phones.Select(p => new { kind = "phone", endpoint = $"PJSIP/{p}", name = p }),
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static long MemberId(JsonElement group, string phone) =>
        group.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("endpoint").GetString() == $"PJSIP/{phone}").GetProperty("id").GetInt64();

    private static async Task<long> ConveneAsync(IvrHost host, long groupId)
    {
        using var admin = host.Admin();
        var response = await admin.PostAsync($"/api/emergency/groups/{groupId}/convene", null, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    private static async Task<List<(string Kind, long? MemberId)>> TimelineAsync(IvrHost host, long groupId)
    {
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        return [.. await connection.QueryAsync<(string, long?)>("SELECT kind, member_id FROM emergency_timeline WHERE group_id = @groupId ORDER BY id", new { groupId })];
    }

    private static async Task WaitForTimelineAsync(IvrHost host, long groupId, Func<List<(string Kind, long? MemberId)>, bool> condition)
    {
        var ct = Ct;
        while (!condition(await TimelineAsync(host, groupId)))
        {
            await Task.Delay(20, ct);
        }
    }

    private static Func<AsteriskSimulator, bool> BridgeHolds(long conferenceId, int channels) =>
        s => s.Bridges.Any(b => b.Id == $"emergency-{conferenceId}" && b.BridgeType == "mixing" && b.Channels.Length == channels);

    [Fact]
    public async Task Convening_a_group_of_four_rings_all_four_three_answer_into_one_mixing_bridge_and_the_fourth_joins_at_the_retry()
    {
        await using var sim = await SimulatorAsync();
        await using var host = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim);
        foreach (var phone in Phones[..3])
        {
            await sim.Phone(phone).AnswerAfter(TimeSpan.FromMilliseconds(50)).RegisterAsync(Ct);
        }
        var late = sim.Phone("agent4").RejectBusy();
        await late.RegisterAsync(Ct);
        var group = await CreateGroupAsync(host);
        var groupId = group.GetProperty("id").GetInt64();

        var conferenceId = await ConveneAsync(host, groupId);

        await sim.WaitUntilAsync(BridgeHolds(conferenceId, 3), Ct);
        var fourth = MemberId(group, "agent4");
        await WaitForTimelineAsync(host, groupId, t => t.Contains(("missed", fourth)));
        var timeline = await TimelineAsync(host, groupId);
        Assert.Equal("convened", timeline[0].Kind);
        Assert.Equal(4, timeline.Count(e => e.Kind == "rung"));
        Assert.Equal(3, timeline.Count(e => e.Kind == "joined"));
        // Every member heard the announcement on its own channel before joining.
        Assert.Equal(4, sim.Requests.Count(r => r.Method == "POST" && r.Path == "/ari/channels" && r.Query.Contains("emergency-member", StringComparison.Ordinal)));
        Assert.Equal(3, sim.Requests.Count(r => r.Method == "POST" && r.Path.StartsWith("/ari/channels/emergency-", StringComparison.Ordinal) && r.Path.Contains("/play/", StringComparison.Ordinal)));

        // The fourth phone is free now: the retry (1 s later) rings it again and it joins the three.
        late.AnswerAfter(TimeSpan.Zero);
        await sim.WaitUntilAsync(BridgeHolds(conferenceId, 4), Ct);
        await WaitForTimelineAsync(host, groupId, t => t.Contains(("joined", fourth)));

        // The convener mutes one member, drops another, then ends the conference: every phone is hung up.
        using var admin = host.Admin();
        var first = MemberId(group, "agent1");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/emergency/conferences/{conferenceId}/members/{first}/mute", null, Ct)).StatusCode);
        Assert.Contains(sim.Requests, r => r.Method == "POST" && r.Path.EndsWith("/mute", StringComparison.Ordinal) && r.Query.Contains("direction=in", StringComparison.Ordinal));
        var view = await admin.GetFromJsonAsync<JsonElement>($"/api/emergency/conferences/{conferenceId}", Ct);
        Assert.True(view.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("memberId").GetInt64() == first).GetProperty("muted").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/emergency/conferences/{conferenceId}/members/{MemberId(group, "agent2")}", Ct)).StatusCode);
        await sim.WaitUntilAsync(BridgeHolds(conferenceId, 3), Ct);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/emergency/conferences/{conferenceId}/end", null, Ct)).StatusCode);
        await sim.WaitUntilAsync(s => s.Bridges.All(b => b.Id != $"emergency-{conferenceId}") && s.Channels.Count == 0, Ct);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/emergency/conferences/{conferenceId}/end", null, Ct)).StatusCode);

        timeline = await TimelineAsync(host, groupId);
        Assert.Equal(("muted", (long?)first), timeline.Single(e => e.Kind == "muted"));
        Assert.Equal(("dropped", (long?)MemberId(group, "agent2")), timeline.Single(e => e.Kind == "dropped"));
        Assert.Equal("ended", timeline[^1].Kind);
    }

    [Fact]
    public async Task A_member_busy_on_a_citizens_call_is_not_rung_and_not_torn_off_the_call_but_alerted_on_the_timeline()
    {
        await using var sim = await SimulatorAsync();
        await using var host = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim);
        foreach (var phone in Phones)
        {
            await sim.Phone(phone).AnswerAfter(TimeSpan.Zero).RegisterAsync(Ct);
        }
        using var admin = host.Admin();
        var agent = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = "agent4", sipEndpoint = "PJSIP/agent4", skills = new[] { new { skill = "taxes", penalty = 0 } },
        }, Ct);
        var agentId = (await agent.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        (await admin.PostAsync($"/api/agents/{agentId}/login", null, Ct)).EnsureSuccessStatusCode();
        var citizen = sim.Trunk.Dial("+40256000001", "0256969");
        await citizen.WaitForPlaybackAsync(2, Ct);
        await citizen.PressAsync("1", Ct);
        await citizen.WaitForPlaybackAsync(3, Ct);
        await citizen.PressAsync("1", Ct);
        var busyPhone = sim.Phone("agent4");
        await busyPhone.WaitForAnsweredCallAsync(Ct);
        await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.Channels.Contains(citizen.ChannelId) && b.Channels.Length == 2), Ct);
        var agentChannel = busyPhone.CurrentChannelId;
        var group = await CreateGroupAsync(host, retries: 0);
        var groupId = group.GetProperty("id").GetInt64();

        var conferenceId = await ConveneAsync(host, groupId);

        await sim.WaitUntilAsync(BridgeHolds(conferenceId, 3), Ct);
        var busy = MemberId(group, "agent4");
        await WaitForTimelineAsync(host, groupId, t => t.Contains(("busy", busy)));
        var timeline = await TimelineAsync(host, groupId);
        Assert.DoesNotContain(("rung", (long?)busy), timeline);
        Assert.Equal(3, timeline.Count(e => e.Kind == "rung"));
        // Still talking to the citizen, on the same channel, in the same two-party bridge.
        Assert.Equal(agentChannel, busyPhone.CurrentChannelId);
        Assert.False(citizen.HungUp);
        Assert.Contains(sim.Bridges, b => b.Channels.Contains(citizen.ChannelId) && b.Channels.Contains(agentChannel!) && b.Channels.Length == 2);
        Assert.DoesNotContain(sim.Requests, r => r.Method == "POST" && r.Path == "/ari/channels" && r.Query.Contains($"emergency-{conferenceId}-{busy}-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Members_who_all_hang_up_end_the_conference_and_its_record_is_append_only()
    {
        await using var sim = await SimulatorAsync();
        await using var host = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim);
        foreach (var phone in Phones)
        {
            await sim.Phone(phone).AnswerAfter(TimeSpan.Zero).RegisterAsync(Ct);
        }
        var group = await CreateGroupAsync(host);
        var groupId = group.GetProperty("id").GetInt64();
        var conferenceId = await ConveneAsync(host, groupId);
        await sim.WaitUntilAsync(BridgeHolds(conferenceId, 4), Ct);
        using var admin = host.Admin();
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/emergency/groups/{groupId}/convene", null, Ct)).StatusCode);

        foreach (var phone in Phones)
        {
            await sim.Phone(phone).HangUpAsync(Ct);
        }

        await WaitForTimelineAsync(host, groupId, t => t.Count > 0 && t[^1].Kind == "ended");
        var timeline = await TimelineAsync(host, groupId);
        Assert.Equal(4, timeline.Count(e => e.Kind == "left"));
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("UPDATE emergency_timeline SET kind = 'joined'"));
        Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("DELETE FROM emergency_conferences"));
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("DELETE FROM emergency_timeline"));
        // A new conference can be convened once the last one is over.
        Assert.NotEqual(conferenceId, await ConveneAsync(host, groupId));
    }
}
