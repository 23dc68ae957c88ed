using System.Collections.Concurrent;
using CityContact.Service.Features.Desk;
using CityContact.Service.Features.Queues;
using CityContact.Simulator.Traffic;

namespace CityContact.Service.Features.Agents;

/// <summary>
/// For the in-process simulator's synthetic traffic (`make run`): its deskphones become agents of every queue and are
/// logged in, so that synthetic citizens are answered as in a staffed city hall. The synthetic agents then work at their
/// desk as people do, through the same actions as the desk's API (audited, actor <c>synthetic:&lt;phone&gt;</c>): breaks
/// with a pause reason, wrap-up codes, wrap-ups ended when the after-call work is done. Against a real Asterisk, agents
/// come from the admin API only.
/// </summary>
public sealed class SimulatorAgents(AgentStore agents, QueueStore queues, QueueDispatcher dispatcher, AgentActions actions, ILogger<SimulatorAgents> logger)
    : ISyntheticAgentDesk
{
    private readonly ConcurrentDictionary<string, long> _ids = new(StringComparer.Ordinal);

    public async Task EnsureLoggedInAsync(IReadOnlyList<string> phoneEndpoints, CancellationToken ct)
    {
        var skills = (await queues.ListAsync(ct)).Select(q => q.Skill).Distinct(StringComparer.Ordinal).Select(s => new AgentSkill(s, 0)).ToList();
        var existing = await agents.ListAsync(null, ct);
        foreach (var endpoint in phoneEndpoints)
        {
            var sipEndpoint = "PJSIP/" + endpoint;
            var agent = existing.FirstOrDefault(a => a.SipEndpoint == sipEndpoint)
                ?? await agents.CreateAsync(new NewAgent("Synthetic " + endpoint, sipEndpoint, null, null, skills), ct);
            _ids[endpoint] = agent.Id;
        }
        await dispatcher.ReloadAgentsAsync(ct);
        foreach (var (endpoint, id) in _ids)
        {
            // A synthetic agent starts the day at work, whatever they were doing when the demo last stopped.
            await actions.ActAsync(id, AgentAction.Login, null, Actor(endpoint), ct);
            await actions.ActAsync(id, AgentAction.Unpause, null, Actor(endpoint), ct);
        }
        logger.LogInformation("Synthetic agents {Endpoints} logged in to every queue", string.Join(", ", phoneEndpoints));
    }

    public async Task PauseAsync(string endpoint, string reason, CancellationToken ct) =>
        await actions.ActAsync(_ids[endpoint], AgentAction.Pause, reason, Actor(endpoint), ct);

    public async Task UnpauseAsync(string endpoint, CancellationToken ct) =>
        await actions.ActAsync(_ids[endpoint], AgentAction.Unpause, null, Actor(endpoint), ct);

    public async Task FinishWrapUpAsync(string endpoint, string code, CancellationToken ct)
    {
        var id = _ids[endpoint];
        await actions.SetWrapUpCodeAsync(id, code, Actor(endpoint), ct);
        await actions.EndWrapUpAsync(id, Actor(endpoint), ct);
    }

    private static string Actor(string endpoint) => "synthetic:" + endpoint;
}
