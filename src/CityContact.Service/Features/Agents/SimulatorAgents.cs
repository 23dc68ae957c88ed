using CityContact.Service.Features.Queues;

namespace CityContact.Service.Features.Agents;

/// <summary>
/// For the in-process simulator's synthetic traffic (`make run`): its deskphones become agents of every queue and are
/// logged in, so that synthetic citizens are answered as in a staffed city hall. Against a real Asterisk, agents come
/// from the admin API only.
/// </summary>
public sealed class SimulatorAgents(AgentStore agents, QueueStore queues, QueueDispatcher dispatcher, ILogger<SimulatorAgents> logger)
{
    public async Task EnsureLoggedInAsync(IReadOnlyList<string> phoneEndpoints, CancellationToken ct)
    {
        var skills = (await queues.ListAsync(ct)).Select(q => q.Skill).Distinct(StringComparer.Ordinal).Select(s => new AgentSkill(s, 0)).ToList();
        var existing = await agents.ListAsync(null, ct);
        var ids = new List<long>();
        foreach (var endpoint in phoneEndpoints)
        {
            var sipEndpoint = "PJSIP/" + endpoint;
            var agent = existing.FirstOrDefault(a => a.SipEndpoint == sipEndpoint)
                ?? await agents.CreateAsync(new NewAgent("Synthetic " + endpoint, sipEndpoint, null, null, skills), ct);
            ids.Add(agent.Id);
        }
        await dispatcher.ReloadAgentsAsync(ct);
        foreach (var id in ids)
        {
            await dispatcher.ActAsync(id, AgentAction.Login, null);
        }
        logger.LogInformation("Synthetic agents {Endpoints} logged in to every queue", string.Join(", ", phoneEndpoints));
    }
}
