using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.RealAsterisk.Tests.Harness;
using Dapper;
using Npgsql;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// Emergency groups on the real Asterisk with four pjsua deskphones (101–104): every member rung at once, those who
/// answer mixed in one ARI bridge, a member dialling in later with *47, and a member busy with a citizen left alone.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class EmergencyGroupTests(AsteriskFixture fixture)
{
    private static readonly string[] Desks = ["101", "102", "103", "104"];

    private AsteriskInstance Asterisk => fixture.Asterisk;

    [RealAsteriskFact]
    public async Task Convening_rings_all_four_three_answer_into_one_softmix_bridge_and_the_fourth_dials_in_later()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await using var first = await RegisteredPhoneAsync("101", PhoneAnswer.AutoAnswer, ct);
        await using var second = await RegisteredPhoneAsync("102", PhoneAnswer.AutoAnswer, ct);
        await using var third = await RegisteredPhoneAsync("103", PhoneAnswer.AutoAnswer, ct);
        await using var fourth = await RegisteredPhoneAsync("104", PhoneAnswer.Busy, ct);
        var groupId = await CreateGroupAsync(service, ct);

        var conferenceId = await ConveneAsync(service, groupId, ct);

        await fourth.WaitForLineAsync(l => l.Contains("Request msg INVITE", StringComparison.Ordinal), ct);
        var bridge = await WaitForBridgeAsync(service, conferenceId, 3, ct);
        Assert.Equal("mixing", bridge.BridgeType);
        // Asterisk's smart bridge mixes three or more channels with softmix: each hears the other two.
        Assert.Equal("softmix", bridge.Technology);
        foreach (var phone in new[] { first, second, third })
        {
            Assert.Contains("state changed to CONFIRMED", phone.Output, StringComparison.Ordinal);
        }
        var timeline = await TimelineAsync(service, groupId, ct);
        Assert.Equal(4, timeline.Count(k => k == "rung"));
        Assert.Equal(3, timeline.Count(k => k == "joined"));
        Assert.Contains("missed", timeline);

        var from = fourth.LineCount;
        await fourth.DialAsync($"sip:*47{groupId}@127.0.0.1:{Asterisk.Layout.SipPort}", ct);
        await fourth.WaitForLineAsync(l => l.Contains("state changed to CONFIRMED", StringComparison.Ordinal), from, ct);
        await WaitForBridgeAsync(service, conferenceId, 4, ct);
        var missing = Asterisk.MissingSounds(0);
        Assert.True(missing.Count == 0, string.Join('\n', missing));

        using var admin = service.Admin();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync(new Uri($"/api/emergency/conferences/{conferenceId}/end", UriKind.Relative), null, ct)).StatusCode);
        await fourth.WaitForLineAsync(l => l.Contains("is DISCONNECTED", StringComparison.Ordinal), from, ct);
        // Asterisk answers the DELETE at once and lets the bridge go once its channels have left.
        await WaitForAsync(async () => (await service.Ari.Rest.Bridges.ListAsync(ct)).Any(b => b.Id == $"emergency-{conferenceId}") ? null : "gone", ct);
        Assert.Equal("ended", (await TimelineAsync(service, groupId, ct))[^1]);
    }

    [RealAsteriskFact]
    public async Task A_member_talking_to_a_citizen_is_not_rung_and_stays_on_the_citizens_call()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("queue", QueueTests.QueueNumber, QueueTests.TaxesMenu, ct);
        await using var first = await RegisteredPhoneAsync("101", PhoneAnswer.AutoAnswer, ct);
        await using var second = await RegisteredPhoneAsync("102", PhoneAnswer.AutoAnswer, ct);
        await using var third = await RegisteredPhoneAsync("103", PhoneAnswer.AutoAnswer, ct);
        await using var busy = await RegisteredPhoneAsync("104", PhoneAnswer.AutoAnswer, ct);
        var agent = await service.CreateAgentAsync("104", QueueTests.Queue, 0, ct);
        await service.AgentActAsync(agent, "login", ct);
        await service.WaitForAgentAsync(agent, a => a is { State: "available", Registered: true }, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QueueTests.QueueNumber);
        var citizenCall = caller.CallAsync([Wait(1), Key('1'), Wait(20)], CallerEnding.HangsUp, ct);
        await service.WaitForAgentAsync(agent, a => a.State == "on_call", ct);
        var citizenBridge = await WaitForAsync(async () =>
            (await service.Ari.Rest.Bridges.ListAsync(ct)).FirstOrDefault(b => b.Channels.Length == 2), ct);
        var groupId = await CreateGroupAsync(service, ct);

        var conferenceId = await ConveneAsync(service, groupId, ct);

        await WaitForBridgeAsync(service, conferenceId, 3, ct);
        var timeline = await TimelineAsync(service, groupId, ct);
        Assert.Equal(3, timeline.Count(k => k == "rung"));
        Assert.Single(timeline, k => k == "busy");
        // The agent's phone was never rung for the conference (its INVITEs would come from the conference's caller ID).
        Assert.Contains("Incoming Request msg INVITE", busy.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("City Hall emergency", busy.Output, StringComparison.Ordinal);
        var still = await service.Ari.Rest.Bridges.GetAsync(citizenBridge.Id, ct);
        Assert.Equal(citizenBridge.Channels.Order(), still.Channels.Order());
        Assert.Equal("on_call", (await service.AgentAsync(agent, ct)).State);

        var result = await citizenCall;
        Assert.True(result.Answered && result.ExitCode == 0, result.ToString());
    }

    private async Task<PjsuaPhone> RegisteredPhoneAsync(string extension, PhoneAnswer answer, CancellationToken ct)
    {
        var phone = PjsuaPhone.Start(Asterisk, extension, answer);
        if (!await phone.RegisteredAsync(ct))
        {
            await phone.DisposeAsync();
            throw new InvalidOperationException($"{extension} was refused by the registrar:\n{phone.Output}");
        }
        return phone;
    }

    private static async Task<long> CreateGroupAsync(RealAsteriskService service, CancellationToken ct)
    {
        using var admin = service.Admin();
        var response = await admin.PostAsJsonAsync(new Uri("/api/emergency/groups", UriKind.Relative), new
        {
            name = "Severe weather",
            ringSeconds = 10,
            retries = 0,
            members = Desks.Select(d => new { kind = "phone", endpoint = $"PJSIP/{d}", name = $"Desk {d}" }),
        }, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt64();
    }

    private static async Task<long> ConveneAsync(RealAsteriskService service, long groupId, CancellationToken ct)
    {
        using var admin = service.Admin();
        var response = await admin.PostAsync(new Uri($"/api/emergency/groups/{groupId}/convene", UriKind.Relative), null, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt64();
    }

    private static Task<CityContact.Telephony.Ari.Models.Bridge> WaitForBridgeAsync(RealAsteriskService service, long conferenceId, int channels, CancellationToken ct) =>
        WaitForAsync(async () => (await service.Ari.Rest.Bridges.ListAsync(ct)).FirstOrDefault(b => b.Id == $"emergency-{conferenceId}" && b.Channels.Length == channels), ct);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, CancellationToken ct) where T : class
    {
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }
            await Task.Delay(100, ct);
        }
    }

    private static async Task<List<string>> TimelineAsync(RealAsteriskService service, long groupId, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(service.Database.ConnectionString);
        return [.. await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT kind FROM emergency_timeline WHERE group_id = @groupId ORDER BY id", new { groupId }, cancellationToken: ct))];
    }
}
