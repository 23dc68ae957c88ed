using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Queues;

public sealed record Queue(long Id, string Code, string Name, long DepartmentId, string Skill, int MaxWaitSeconds, int MaxCallers, int ServiceLevelSeconds);

public sealed record NewQueue(string Code, string Name, long DepartmentId, string Skill, int MaxWaitSeconds = 600, int MaxCallers = 50, int ServiceLevelSeconds = 60);

public sealed class QueueStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, code, name, department_id, skill, max_wait_seconds, max_callers, service_level_seconds";

    public async Task<Queue> CreateAsync(NewQueue queue, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<Queue>(new CommandDefinition($"""
            INSERT INTO queues (code, name, department_id, skill, max_wait_seconds, max_callers, service_level_seconds)
            VALUES (@Code, @Name, @DepartmentId, @Skill, @MaxWaitSeconds, @MaxCallers, @ServiceLevelSeconds)
            RETURNING {Columns}
            """, queue, cancellationToken: ct));
    }

    public async Task<Queue?> UpdateAsync(long id, NewQueue queue, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Queue>(new CommandDefinition($"""
            UPDATE queues SET code = @Code, name = @Name, department_id = @DepartmentId, skill = @Skill, max_wait_seconds = @MaxWaitSeconds,
                              max_callers = @MaxCallers, service_level_seconds = @ServiceLevelSeconds, updated_at = now()
            WHERE id = @id
            RETURNING {Columns}
            """, new { id, queue.Code, queue.Name, queue.DepartmentId, queue.Skill, queue.MaxWaitSeconds, queue.MaxCallers, queue.ServiceLevelSeconds },
            cancellationToken: ct));
    }

    /// <summary>False when there is no such queue; throws 23503 (answered 409) while calls or callbacks still name it.</summary>
    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM queues WHERE id = @id", new { id }, cancellationToken: ct)) == 1;
    }

    public async Task<Queue?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Queue>(new CommandDefinition(
            $"SELECT {Columns} FROM queues WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<Queue>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<Queue>(new CommandDefinition($"SELECT {Columns} FROM queues ORDER BY code", cancellationToken: ct))];
    }
}
