using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Queues;
using CityContact.Service.Infrastructure.Http;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>What an admin and a supervisor do with agents over the REST API, and what the dispatcher shows them.</summary>
public static class CityAgents
{
    /// <summary>Creates agent "Agent 1XX" on deskphone <c>PJSIP/1XX</c> with one skill; returns its id.</summary>
    public static async Task<long> CreateAgentAsync(this RealAsteriskService service, string extension, string skill, int penalty, CancellationToken ct)
    {
        using var admin = service.Admin();
        var response = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = $"Agent {extension}",
            sipEndpoint = $"PJSIP/{extension}",
            skills = new[] { new { skill, penalty } },
        }, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/agents: {(int)response.StatusCode} {body}");
        }
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    /// <summary>A supervisor's action: login, logout, pause or unpause.</summary>
    public static async Task<AgentView> AgentActAsync(this RealAsteriskService service, long agentId, string action, CancellationToken ct)
    {
        using var admin = service.Admin();
        var response = await admin.PostAsync(new Uri($"/api/agents/{agentId}/{action}", UriKind.Relative), null, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/agents/{agentId}/{action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
        return (await response.Content.ReadFromJsonAsync<AgentView>(ct))!;
    }

    /// <summary>The agent as the dispatcher's API lists it.</summary>
    public static async Task<AgentView> AgentAsync(this RealAsteriskService service, long agentId, CancellationToken ct)
    {
        using var admin = service.Admin();
        var agents = await admin.GetFromJsonAsync<Page<AgentView>>("/api/agents", ct);
        return agents!.Items.Single(a => a.Id == agentId);
    }

    /// <summary>Waits until the API shows the agent as <paramref name="expected"/> says; the last view seen is in the failure.</summary>
    public static async Task<AgentView> WaitForAgentAsync(this RealAsteriskService service, long agentId, Func<AgentView, bool> expected, CancellationToken ct)
    {
        AgentView? last = null;
        try
        {
            while (true)
            {
                last = await service.AgentAsync(agentId, ct);
                if (expected(last))
                {
                    return last;
                }
                await Task.Delay(100, ct);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"agent {agentId} never reached the awaited state; last seen {last}");
        }
    }

    /// <summary>The queue's line of /api/queues/realtime.</summary>
    public static async Task<QueueRealtime> QueueRealtimeAsync(this RealAsteriskService service, string queueCode, CancellationToken ct)
    {
        using var admin = service.Admin();
        var queues = await admin.GetFromJsonAsync<Page<QueueRealtime>>("/api/queues/realtime", ct);
        return queues!.Items.Single(q => q.Code == queueCode);
    }
}
