using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using Dapper;
using Npgsql;

namespace CityContact.Service.Tests.Quality;

/// <summary>A supervisor listens, whispers, then barges into a queue call through snoop channels (simulator).</summary>
public sealed class MonitorTests
{
    private static CancellationToken Ct => TestContext.Timeout(60);

    [Fact]
    public async Task The_caller_hears_the_supervisor_only_after_barge_and_every_mode_is_audited()
    {
        await using var host = await IvrHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Queues:WrapUpSeconds"] = "0.3",
            ["Queues:RingTimeoutSeconds"] = "2",
            ["Queues:AnnounceEverySeconds"] = "600",
            ["Queues:NoAgents"] = "JoinEmpty",
        });
        var agentPhone = host.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        var supervisorPhone = host.Sim.Phone("agent2").AnswerAfter(TimeSpan.Zero);
        await agentPhone.RegisterAsync(Ct);
        await supervisorPhone.RegisterAsync(Ct);
        using var admin = host.Admin();
        var created = await admin.PostAsJsonAsync("/api/agents", new { name = "agent1", sipEndpoint = "PJSIP/agent1", skills = new[] { new { skill = "taxes", penalty = 0 } } }, Ct);
        var agentId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        (await admin.PostAsync($"/api/agents/{agentId}/login", null, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/monitoring", new { agentId, supervisorEndpoint = "PJSIP/agent2", mode = "listen" }, Ct)).StatusCode);
        var caller = host.Sim.Trunk.Dial("+40256000099", "0256969");
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        await caller.PressAsync("1", Ct);
        await agentPhone.WaitForAnsweredCallAsync(Ct);
        var conversation = $"agent-{caller.ChannelId}";
        await host.Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.Id == conversation && b.Channels.Length == 2), Ct);
        var agentChannel = agentPhone.CurrentChannelId!;

        var started = await admin.PostAsJsonAsync("/api/monitoring", new { agentId, supervisorEndpoint = "PJSIP/agent2", mode = "listen" }, Ct);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var session = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();
        var supervisorChannel = $"monitor-{session}";

        // Listen: the supervisor and a snoop (spy both, whisper none) on the agent's channel; the conversation is untouched.
        await host.Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.Id == supervisorChannel && b.Channels.Length == 2), Ct);
        AssertConversation(host.Sim, conversation, [caller.ChannelId, agentChannel]);
        Assert.Contains(host.Sim.Requests, r => r.Path == $"/ari/channels/{agentChannel}/snoop" && r.Query.Contains("whisper=none", StringComparison.Ordinal));

        // Whisper: a new snoop that whispers out (into what the agent hears); the caller's bridge still has no supervisor.
        var whisper = await admin.PutAsJsonAsync($"/api/monitoring/{session}", new { mode = "whisper" }, Ct);
        Assert.Equal(HttpStatusCode.OK, whisper.StatusCode);
        Assert.Contains(host.Sim.Requests, r => r.Path == $"/ari/channels/{agentChannel}/snoop" && r.Query.Contains("whisper=out", StringComparison.Ordinal));
        await host.Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.Id == supervisorChannel && b.Channels.Length == 2)
            && s.Channels.Count(c => c.Name.StartsWith("Snoop/", StringComparison.Ordinal)) == 1, Ct);
        AssertConversation(host.Sim, conversation, [caller.ChannelId, agentChannel]);

        // Barge: the supervisor is in the conversation's bridge; no snoop is left.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/monitoring/{session}", new { mode = "barge" }, Ct)).StatusCode);
        await host.Sim.WaitUntilAsync(s => s.Channels.All(c => !c.Name.StartsWith("Snoop/", StringComparison.Ordinal)), Ct);
        AssertConversation(host.Sim, conversation, [caller.ChannelId, agentChannel, supervisorChannel]);

        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var audited = (await connection.QueryAsync<string>("SELECT action FROM audit_log WHERE entity = 'agent' AND entity_id = @id ORDER BY id",
            new { id = agentId.ToString(System.Globalization.CultureInfo.InvariantCulture) })).Where(a => a.StartsWith("monitor.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["monitor.listen", "monitor.whisper", "monitor.barge"], audited);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/monitoring/{session}", Ct)).StatusCode);
        AssertConversation(host.Sim, conversation, [caller.ChannelId, agentChannel]);
        await agentPhone.HangUpAsync(Ct);
    }

    private static void AssertConversation(AsteriskSimulator sim, string bridgeId, string[] channels)
    {
        var bridge = sim.Bridges.Single(b => b.Id == bridgeId);
        Assert.Equal(channels.Order(), bridge.Channels.Order());
    }
}
