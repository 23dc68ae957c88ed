using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.RealAsterisk.Tests.Harness;
using Dapper;
using Npgsql;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// A supervisor on deskphone 102 listens, then whispers, then barges into a citizen's call with the agent on 101, on
/// the real Asterisk: the caller's bridge gains the supervisor only at barge; before, the supervisor hears through a
/// snoop on the agent's channel.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class MonitorTests(AsteriskFixture fixture)
{
    private AsteriskInstance Asterisk => fixture.Asterisk;

    [RealAsteriskFact]
    public async Task A_supervisor_listens_whispers_then_barges_and_only_barge_puts_them_in_the_callers_bridge()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("queue", QueueTests.QueueNumber, QueueTests.TaxesMenu, ct);
        await using var agentPhone = await RegisteredPhoneAsync("101", ct);
        await using var supervisorPhone = await RegisteredPhoneAsync("102", ct);
        var agent = await service.CreateAgentAsync("101", QueueTests.Queue, 0, ct);
        await service.AgentActAsync(agent, "login", ct);
        await service.WaitForAgentAsync(agent, a => a is { State: "available", Registered: true }, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QueueTests.QueueNumber);
        var citizenCall = caller.CallAsync([Wait(1), Key('1'), Wait(25)], CallerEnding.HangsUp, ct);
        await service.WaitForAgentAsync(agent, a => a.State == "on_call", ct);
        var conversation = await WaitForAsync(async () => (await service.Ari.Rest.Bridges.ListAsync(ct)).FirstOrDefault(b => b.Id.StartsWith("agent-", StringComparison.Ordinal) && b.Channels.Length == 2), ct);
        var callerAndAgent = conversation.Channels.Order().ToArray();
        using var admin = service.Admin();

        var started = await admin.PostAsJsonAsync(new Uri("/api/monitoring", UriKind.Relative), new { agentId = agent, supervisorEndpoint = "PJSIP/102", mode = "listen" }, ct);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var session = (await started.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString();
        var supervisor = $"monitor-{session}";
        await WaitForSnoopingAsync(service, supervisor, ct);
        Assert.Equal(callerAndAgent, (await service.Ari.Rest.Bridges.GetAsync(conversation.Id, ct)).Channels.Order());

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync(new Uri($"/api/monitoring/{session}", UriKind.Relative), new { mode = "whisper" }, ct)).StatusCode);
        await WaitForSnoopingAsync(service, supervisor, ct);
        Assert.Equal(callerAndAgent, (await service.Ari.Rest.Bridges.GetAsync(conversation.Id, ct)).Channels.Order());

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync(new Uri($"/api/monitoring/{session}", UriKind.Relative), new { mode = "barge" }, ct)).StatusCode);
        var barged = await WaitForAsync(async () =>
        {
            var bridge = await service.Ari.Rest.Bridges.GetAsync(conversation.Id, ct);
            return bridge.Channels.Contains(supervisor) ? bridge : null;
        }, ct);
        Assert.Equal([.. callerAndAgent, supervisor], barged.Channels.Order());
        // Three channels: Asterisk mixes them (softmix), so caller, agent and supervisor all hear each other.
        Assert.Equal("softmix", barged.Technology);
        await WaitForAsync(async () => (await service.Ari.Rest.Channels.ListAsync(ct)).Any(c => c.Name.StartsWith("Snoop/", StringComparison.Ordinal)) ? null : "no snoop", ct);

        await using var connection = new NpgsqlConnection(service.Database.ConnectionString);
        var audited = (await connection.QueryAsync<string>(new CommandDefinition("SELECT action FROM audit_log WHERE action LIKE 'monitor.%' ORDER BY id", cancellationToken: ct))).ToList();
        Assert.Equal(["monitor.listen", "monitor.whisper", "monitor.barge"], audited);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync(new Uri($"/api/monitoring/{session}", UriKind.Relative), ct)).StatusCode);
        var result = await citizenCall;
        Assert.True(result.Answered && result.ExitCode == 0, result.ToString());
    }

    /// <summary>The supervisor's own bridge holds the supervisor and one snoop channel on the agent.</summary>
    private static Task<string> WaitForSnoopingAsync(RealAsteriskService service, string supervisor, CancellationToken ct) =>
        WaitForAsync(async () =>
        {
            var bridge = (await service.Ari.Rest.Bridges.ListAsync(ct)).FirstOrDefault(b => b.Id == supervisor);
            var snoops = (await service.Ari.Rest.Channels.ListAsync(ct)).Where(c => c.Name.StartsWith("Snoop/", StringComparison.Ordinal)).Select(c => c.Id).ToList();
            return bridge is not null && bridge.Channels.Length == 2 && bridge.Channels.Contains(supervisor) && snoops.Count == 1 && bridge.Channels.Contains(snoops[0]) ? snoops[0] : null;
        }, ct);

    private async Task<PjsuaPhone> RegisteredPhoneAsync(string extension, CancellationToken ct)
    {
        var phone = PjsuaPhone.Start(Asterisk, extension, PhoneAnswer.AutoAnswer);
        if (!await phone.RegisteredAsync(ct))
        {
            await phone.DisposeAsync();
            throw new InvalidOperationException($"{extension} was refused by the registrar:\n{phone.Output}");
        }
        return phone;
    }

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
}
