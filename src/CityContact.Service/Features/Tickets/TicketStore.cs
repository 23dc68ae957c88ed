using System.Text.Json;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Tickets;

public static class TicketStatuses
{
    public const string Open = "open";
    public const string InProgress = "in_progress";
    public const string Resolved = "resolved";
    public const string Closed = "closed";
}

public sealed record Ticket(
    long Id,
    string Kind,
    string Status,
    string Priority,
    string Subject,
    string? Description,
    string? CitizenName,
    string? CitizenPhone,
    string? CitizenEmail,
    long? DepartmentId,
    long? CallId,
    long? AssignedAgentId,
    DateTime? DueAt,
    DateTime? ResolvedAt,
    short? Rating,
    DateTime CreatedAt,
    DateTime UpdatedAt);

public sealed record NewTicket(
    string Kind,
    string Subject,
    string? Description = null,
    string Priority = "normal",
    string? CitizenName = null,
    string? CitizenPhone = null,
    string? CitizenEmail = null,
    long? DepartmentId = null,
    long? CallId = null,
    DateTime? DueAt = null);

public sealed record TicketHistoryEntry(long Id, long TicketId, DateTime At, string Actor, string Action, string? FromStatus, string? ToStatus, string? Note, string Data);

public sealed class TicketStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, kind, status, priority, subject, description, citizen_name, citizen_phone, citizen_email, department_id, call_id,
        assigned_agent_id, due_at, resolved_at, rating, created_at, updated_at
        """;

    /// <summary>The ticket and its first history row ("created") are written together.</summary>
    public async Task<Ticket> CreateAsync(NewTicket ticket, string actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var stored = await connection.QuerySingleAsync<Ticket>(new CommandDefinition($"""
            INSERT INTO tickets (kind, subject, description, priority, citizen_name, citizen_phone, citizen_email, department_id, call_id, due_at)
            VALUES (@Kind, @Subject, @Description, @Priority, @CitizenName, @CitizenPhone, @CitizenEmail, @DepartmentId, @CallId, @DueAt)
            RETURNING {Columns}
            """, ticket, transaction, cancellationToken: ct));
        await AppendHistoryAsync(connection, transaction, stored.Id, actor, "created", null, stored.Status, null, new { stored.Kind, stored.Priority }, ct);
        await transaction.CommitAsync(ct);
        return stored;
    }

    /// <summary>Moves the ticket to <paramref name="status"/> and records the transition; null when the ticket does not exist.</summary>
    public async Task<Ticket?> ChangeStatusAsync(long id, string status, string actor, string? note, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var previous = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT status FROM tickets WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: ct));
        if (previous is null)
        {
            return null;
        }
        var updated = await connection.QuerySingleAsync<Ticket>(new CommandDefinition($"""
            UPDATE tickets SET status = @status, updated_at = now(),
                resolved_at = CASE WHEN @status IN ('resolved', 'closed') THEN coalesce(resolved_at, now()) ELSE NULL END
            WHERE id = @id RETURNING {Columns}
            """, new { id, status }, transaction, cancellationToken: ct));
        await AppendHistoryAsync(connection, transaction, id, actor, "status_changed", previous, status, note, null, ct);
        await transaction.CommitAsync(ct);
        return updated;
    }

    public async Task<Ticket?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Ticket>(new CommandDefinition(
            $"SELECT {Columns} FROM tickets WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<Ticket>> ListAsync(string? status, int limit, int offset, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<Ticket>(new CommandDefinition(
            $"SELECT {Columns} FROM tickets WHERE @status::text IS NULL OR status = @status ORDER BY id DESC LIMIT @limit OFFSET @offset",
            new { status, limit, offset }, cancellationToken: ct))];
    }

    public async Task<IReadOnlyList<TicketHistoryEntry>> HistoryAsync(long ticketId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<TicketHistoryEntry>(new CommandDefinition("""
            SELECT id, ticket_id, at, actor, action, from_status, to_status, note, data::text AS data
            FROM ticket_history WHERE ticket_id = @ticketId ORDER BY id
            """, new { ticketId }, cancellationToken: ct))];
    }

    private static Task<int> AppendHistoryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long ticketId, string actor, string action,
        string? fromStatus, string? toStatus, string? note, object? data, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO ticket_history (ticket_id, actor, action, from_status, to_status, note, data)
            VALUES (@ticketId, @actor, @action, @fromStatus, @toStatus, @note, @data::jsonb)
            """, new { ticketId, actor, action, fromStatus, toStatus, note, data = JsonSerializer.Serialize(data ?? new { }) },
            transaction, cancellationToken: ct));
}
