using CityContact.Service.Infrastructure.Http;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Tickets;

/// <summary>A kind of request (an Open311 service): it routes tickets to a department and sets their SLA in business hours.</summary>
public sealed record TicketCategory(
    long Id,
    string Code,
    string Name,
    string Description,
    long DepartmentId,
    int SlaBusinessHours,
    string[] Keywords,
    // Named as the request names it (and as Open311 does): it was answered as groupName.
    [property: System.Text.Json.Serialization.JsonPropertyName("group")] string? GroupName,
    bool Active,
    DateTime CreatedAt,
    DateTime UpdatedAt);

public sealed record CategoryFields(
    string Code, string Name, string Description, long DepartmentId, int SlaBusinessHours, string[] Keywords, string? GroupName, bool Active);

public sealed class CategoryStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, code, name, description, department_id, sla_business_hours, keywords, group_name, active, created_at, updated_at";

    /// <summary>Throws 23505 when the code is taken and 23503 for an unknown department (both answered 409).</summary>
    public async Task<TicketCategory> CreateAsync(CategoryFields fields, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<TicketCategory>(new CommandDefinition($"""
            INSERT INTO ticket_categories (code, name, description, department_id, sla_business_hours, keywords, group_name, active)
            VALUES (@Code, @Name, @Description, @DepartmentId, @SlaBusinessHours, @Keywords, @GroupName, @Active)
            RETURNING {Columns}
            """, fields, cancellationToken: ct));
    }

    public async Task<TicketCategory?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TicketCategory>(new CommandDefinition(
            $"SELECT {Columns} FROM ticket_categories WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<TicketCategory?> FindByCodeAsync(string code, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TicketCategory>(new CommandDefinition(
            $"SELECT {Columns} FROM ticket_categories WHERE code = @code", new { code }, cancellationToken: ct));
    }

    /// <summary>Every category, by code; <paramref name="activeOnly"/> for what citizens may file.</summary>
    public async Task<IReadOnlyList<TicketCategory>> AllAsync(bool activeOnly, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<TicketCategory>(new CommandDefinition(
            $"SELECT {Columns} FROM ticket_categories WHERE NOT @activeOnly OR active ORDER BY code", new { activeOnly }, cancellationToken: ct))];
    }

    public async Task<Page<TicketCategory>> ListAsync(PageRequest page, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM ticket_categories", cancellationToken: ct));
        var items = await connection.QueryAsync<TicketCategory>(new CommandDefinition(
            $"SELECT {Columns} FROM ticket_categories ORDER BY code LIMIT @Limit OFFSET @Offset", page, cancellationToken: ct));
        return Page.Of([.. items], total, page);
    }

    public async Task<TicketCategory?> UpdateAsync(long id, CategoryFields fields, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TicketCategory>(new CommandDefinition($"""
            UPDATE ticket_categories SET code = @Code, name = @Name, description = @Description, department_id = @DepartmentId,
                sla_business_hours = @SlaBusinessHours, keywords = @Keywords, group_name = @GroupName, active = @Active, updated_at = now()
            WHERE id = @id RETURNING {Columns}
            """, new { id, fields.Code, fields.Name, fields.Description, fields.DepartmentId, fields.SlaBusinessHours, fields.Keywords, fields.GroupName, fields.Active },
            cancellationToken: ct));
    }

    /// <summary>False when there is no such category; throws 23503 while tickets refer to it (deactivate it instead).</summary>
    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM ticket_categories WHERE id = @id", new { id }, cancellationToken: ct)) > 0;
    }
}
