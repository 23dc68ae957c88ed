using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Agents;

/// <summary>A skill the agent has; the lower the penalty, the earlier the agent is offered such calls.</summary>
public sealed record AgentSkill(string Skill, int Penalty);

public sealed record Agent(long Id, string Name, string SipEndpoint, string? Email, long? DepartmentId, bool Active, IReadOnlyList<AgentSkill> Skills);

public sealed record NewAgent(string Name, string SipEndpoint, string? Email, long? DepartmentId, IReadOnlyList<AgentSkill> Skills);

public sealed class AgentStore(NpgsqlDataSource dataSource)
{
    private sealed record AgentRow(long Id, string Name, string SipEndpoint, string? Email, long? DepartmentId, bool Active);

    private sealed record SkillRow(long AgentId, string Skill, int Penalty);

    /// <summary>The agent and its skills are written together.</summary>
    public async Task<Agent> CreateAsync(NewAgent agent, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO agents (name, sip_endpoint, email, department_id) VALUES (@Name, @SipEndpoint, @Email, @DepartmentId) RETURNING id
            """, agent, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO agent_skills (agent_id, skill, penalty) VALUES (@id, @Skill, @Penalty)
            """, agent.Skills.Select(s => new { id, s.Skill, s.Penalty }), transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return new Agent(id, agent.Name, agent.SipEndpoint, agent.Email, agent.DepartmentId, true, agent.Skills);
    }

    /// <summary>Replaces the agent's fields and skills together; null when there is no such agent.</summary>
    public async Task<Agent?> UpdateAsync(long id, NewAgent agent, bool active, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE agents SET name = @Name, sip_endpoint = @SipEndpoint, email = @Email, department_id = @DepartmentId,
                              active = @active, updated_at = now()
            WHERE id = @id
            """, new { id, agent.Name, agent.SipEndpoint, agent.Email, agent.DepartmentId, active }, transaction, cancellationToken: ct));
        if (updated == 0)
        {
            return null;
        }
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM agent_skills WHERE agent_id = @id", new { id }, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO agent_skills (agent_id, skill, penalty) VALUES (@id, @Skill, @Penalty)
            """, agent.Skills.Select(s => new { id, s.Skill, s.Penalty }), transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return new Agent(id, agent.Name, agent.SipEndpoint, agent.Email, agent.DepartmentId, active, agent.Skills);
    }

    /// <summary>
    /// Removes the agent from service: inactive, no skills, so no call is offered to them. The row stays because calls,
    /// tickets and the state log name it.
    /// </summary>
    public async Task<bool> DeactivateAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE agents SET active = false, updated_at = now() WHERE id = @id AND active", new { id }, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM agent_skills WHERE agent_id = @id", new { id }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return updated == 1;
    }

    public async Task<Agent?> GetAsync(long id, CancellationToken ct) => (await ListAsync([id], ct)).SingleOrDefault();

    /// <summary>Agents by id (all when <paramref name="ids"/> is null), ordered by name.</summary>
    public async Task<IReadOnlyList<Agent>> ListAsync(long[]? ids, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var agents = await connection.QueryAsync<AgentRow>(new CommandDefinition("""
            SELECT id, name, sip_endpoint, email, department_id, active FROM agents
            WHERE @ids::bigint[] IS NULL OR id = ANY(@ids) ORDER BY name, id
            """, new { ids }, cancellationToken: ct));
        var skills = (await connection.QueryAsync<SkillRow>(new CommandDefinition("""
            SELECT agent_id, skill, penalty FROM agent_skills
            WHERE @ids::bigint[] IS NULL OR agent_id = ANY(@ids) ORDER BY penalty, skill
            """, new { ids }, cancellationToken: ct))).ToLookup(s => s.AgentId);
        return [.. agents.Select(a => new Agent(a.Id, a.Name, a.SipEndpoint, a.Email, a.DepartmentId, a.Active,
            [.. skills[a.Id].Select(s => new AgentSkill(s.Skill, s.Penalty))]))];
    }
}
