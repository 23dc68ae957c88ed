using CityContact.Service.Infrastructure.Http;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Departments;

/// <summary>A department; <c>ScheduleId</c> is its business hours for SLA deadlines (null: the city-hall schedule).</summary>
public sealed record Department(long Id, string Code, string Name, string? Email, long? ScheduleId, DateTime CreatedAt, DateTime UpdatedAt);

public sealed record DepartmentFields(string Code, string Name, string? Email);

public sealed class DepartmentStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, code, name, email, schedule_id, created_at, updated_at";

    /// <summary>Throws <see cref="PostgresException"/> 23505 when the code is taken (answered 409).</summary>
    public async Task<Department> CreateAsync(DepartmentFields fields, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<Department>(new CommandDefinition($"""
            INSERT INTO departments (code, name, email) VALUES (@Code, @Name, @Email) RETURNING {Columns}
            """, fields, cancellationToken: ct));
    }

    public async Task<Department?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Department>(new CommandDefinition(
            $"SELECT {Columns} FROM departments WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<Page<Department>> ListAsync(string? search, PageRequest page, CancellationToken ct)
    {
        const string Where = "WHERE @search::text IS NULL OR code = @search OR name ILIKE '%' || @search || '%'";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM departments {Where}", new { search }, cancellationToken: ct));
        var items = await connection.QueryAsync<Department>(new CommandDefinition(
            $"SELECT {Columns} FROM departments {Where} ORDER BY code LIMIT @limit OFFSET @offset",
            new { search, limit = page.Limit, offset = page.Offset }, cancellationToken: ct));
        return Page.Of([.. items], total, page);
    }

    public async Task<Department?> UpdateAsync(long id, DepartmentFields fields, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Department>(new CommandDefinition($"""
            UPDATE departments SET code = @Code, name = @Name, email = @Email, updated_at = now()
            WHERE id = @id RETURNING {Columns}
            """, new { id, fields.Code, fields.Name, fields.Email }, cancellationToken: ct));
    }

    /// <summary>Sets (or, with null, clears) the schedule its SLA deadlines count in; null when there is no such department.</summary>
    public async Task<Department?> SetScheduleAsync(long id, long? scheduleId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Department>(new CommandDefinition($"""
            UPDATE departments SET schedule_id = @scheduleId, updated_at = now() WHERE id = @id RETURNING {Columns}
            """, new { id, scheduleId }, cancellationToken: ct));
    }

    /// <summary>False when there is no such department; throws 23503 when calls, agents or queues still refer to it.</summary>
    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM departments WHERE id = @id", new { id }, cancellationToken: ct)) > 0;
    }
}
