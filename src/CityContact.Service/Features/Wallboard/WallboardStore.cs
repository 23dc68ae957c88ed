using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Wallboard;

/// <summary>What the board reads from the database: today's figures once a day (start-up, midnight) and pending callbacks.</summary>
public sealed class WallboardStore(NpgsqlDataSource dataSource)
{
    /// <summary>Per queue, the inbound calls since <paramref name="since"/> as the reports count them.</summary>
    public async Task<IReadOnlyList<StoredQueueDay>> QueueDaysAsync(DateTimeOffset since, TimeSpan serviceLevel, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<StoredQueueDay>(new CommandDefinition("""
            SELECT c.queue_id,
                   count(*) AS offered,
                   count(*) FILTER (WHERE c.outcome = 'answered') AS answered,
                   count(*) FILTER (WHERE c.outcome = 'abandoned') AS abandoned,
                   count(*) FILTER (WHERE c.outcome = 'answered' AND c.queue_wait_ms <= @levelMs) AS answered_within_service_level,
                   (coalesce(sum(c.queue_wait_ms) FILTER (WHERE c.outcome = 'answered'), 0) / 1000.0)::float8 AS answered_wait_seconds
            FROM calls c
            WHERE c.started_at >= @since AND c.queue_id IS NOT NULL AND c.direction = 'inbound'
            GROUP BY c.queue_id
            """, new { since = since.UtcDateTime, levelMs = (long)serviceLevel.TotalMilliseconds }, cancellationToken: ct));
        return [.. rows];
    }

    /// <summary>Calls each agent took since <paramref name="since"/>.</summary>
    public async Task<IReadOnlyDictionary<long, long>> CallsByAgentAsync(DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(long AgentId, long Calls)>(new CommandDefinition("""
            SELECT agent_id, count(*) FROM calls WHERE started_at >= @since AND agent_id IS NOT NULL GROUP BY agent_id
            """, new { since = since.UtcDateTime }, cancellationToken: ct));
        return rows.ToDictionary(r => r.AgentId, r => r.Calls);
    }

    /// <summary>Callback requests waiting to be made or being made, per department.</summary>
    public async Task<Dictionary<long, long>> CallbacksPendingAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(long DepartmentId, long Count)>(new CommandDefinition("""
            SELECT department_id, count(*) FROM callback_requests WHERE state IN ('pending', 'dialing') GROUP BY department_id
            """, cancellationToken: ct));
        return rows.ToDictionary(r => r.DepartmentId, r => r.Count);
    }
}
