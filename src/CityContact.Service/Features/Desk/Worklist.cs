using CityContact.Service.Features.Tickets;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Desk;

/// <summary>What waits for an agent besides calls: open tickets assigned to them and their queues' pending callbacks.</summary>
public sealed record Worklist(DateTimeOffset At, IReadOnlyList<AssignedTicket> Tickets, IReadOnlyList<PendingCallback> Callbacks);

/// <summary>An open ticket assigned to the agent; <see cref="SecondsLeft"/> counts down to its SLA deadline (negative: overdue).</summary>
public sealed record AssignedTicket(long Id, string? Number, string? Category, string Status, string Priority, DateTimeOffset? DueAt, double? SecondsLeft);

/// <summary>A callback request of one of the agent's departments, waiting or being dialled; the number is masked.</summary>
public sealed record PendingCallback(long Id, string QueueCode, string Phone, DateTimeOffset NotBefore, string State, int Attempts, int MaxAttempts, string? LastOutcome, long? TicketId);

/// <summary>
/// The agent's worklist, read when the desk asks (a page load, not a stream). Lists carry no personal data (as the
/// tickets API's lists): the ticket itself is read, and audited, with <c>GET /api/tickets/{id}</c>.
/// </summary>
public sealed class WorklistReader(NpgsqlDataSource dataSource, TimeProvider time)
{
    public async Task<Worklist> ReadAsync(long agentId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var tickets = (await connection.QueryAsync<(long Id, string? Number, string? Category, string Status, string Priority, DateTime? DueAt)>(new CommandDefinition("""
            SELECT t.id, t.number, k.name, t.status, t.priority, t.due_at
            FROM tickets t LEFT JOIN ticket_categories k ON k.id = t.category_id
            WHERE t.assigned_agent_id = @agentId AND t.status IN ('new', 'assigned', 'in_progress')
            ORDER BY t.due_at NULLS LAST, t.id LIMIT 200
            """, new { agentId }, cancellationToken: ct))).Select(t =>
        {
            DateTimeOffset? due = t.DueAt is { } d ? new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)) : null;
            return new AssignedTicket(t.Id, t.Number, t.Category, t.Status, t.Priority, due, due is { } at ? Math.Round((at - now).TotalSeconds) : null);
        }).ToList();
        var callbacks = (await connection.QueryAsync<(long Id, string QueueCode, string Phone, DateTime NotBefore, string State, int Attempts, int MaxAttempts, string? LastOutcome, long? TicketId)>(new CommandDefinition("""
            SELECT c.id, q.code, c.phone, c.not_before, c.state, c.attempts, c.max_attempts, c.last_outcome, c.ticket_id
            FROM callback_requests c
            JOIN (SELECT DISTINCT ON (q.department_id) q.department_id, q.code
                  FROM queues q JOIN agent_skills s ON s.skill = q.skill
                  WHERE s.agent_id = @agentId ORDER BY q.department_id, q.code) q ON q.department_id = c.department_id
            WHERE c.state IN ('pending', 'dialing')
            ORDER BY c.priority DESC, c.not_before, c.id LIMIT 200
            """, new { agentId }, cancellationToken: ct))).Select(c => new PendingCallback(c.Id, c.QueueCode, Tickets.PhoneNumbers.Mask(c.Phone),
                new DateTimeOffset(DateTime.SpecifyKind(c.NotBefore, DateTimeKind.Utc)), c.State, c.Attempts, c.MaxAttempts, c.LastOutcome, c.TicketId)).ToList();
        return new Worklist(now, tickets, callbacks);
    }
}
