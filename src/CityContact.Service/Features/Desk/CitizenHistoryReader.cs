using System.Globalization;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Features.Wallboard;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Desk;

/// <summary>
/// The citizen's earlier calls and open tickets by the number calling, read once per call offered to an agent (not per
/// viewer of the desk). Personal data: every read is audited, as the API's ticket reads are.
/// </summary>
public sealed class CitizenHistoryReader(NpgsqlDataSource dataSource, AuditLog audit, TicketService tickets)
{
    public const int MaxCalls = 10;
    public const int MaxTickets = 20;

    /// <summary>The history by <paramref name="callerNumber"/>, and the row id of the call <paramref name="callId"/> (null while not stored).</summary>
    public async Task<(long? CallRowId, CitizenHistory History)> ReadAsync(long agentId, string callId, string callerNumber, CancellationToken ct)
    {
        var phone = tickets.NormalisePhone(callerNumber);
        string[] numbers = phone is null || phone == callerNumber ? [callerNumber] : [callerNumber, phone];
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var callRowId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM calls WHERE channel_id = @callId", new { callId }, cancellationToken: ct));
        var calls = (await connection.QueryAsync<(long Id, DateTime StartedAt, string? QueueCode, string? Outcome)>(new CommandDefinition("""
            SELECT c.id, c.started_at, q.code, c.outcome
            FROM calls c LEFT JOIN queues q ON q.id = c.queue_id
            WHERE c.caller = ANY(@numbers) AND c.channel_id <> @callId
            ORDER BY c.started_at DESC LIMIT @max
            """, new { numbers, callId, max = MaxCalls }, cancellationToken: ct)))
            .Select(c => new EarlierCall(c.Id, new DateTimeOffset(DateTime.SpecifyKind(c.StartedAt, DateTimeKind.Utc)), c.QueueCode, c.Outcome)).ToList();
        var open = (await connection.QueryAsync<(long Id, string? Number, string? Category, string Status, DateTime? DueAt)>(new CommandDefinition("""
            SELECT t.id, t.number, k.name, t.status, t.due_at
            FROM tickets t LEFT JOIN ticket_categories k ON k.id = t.category_id
            WHERE t.citizen_phone = ANY(@numbers) AND t.status IN ('new', 'assigned', 'in_progress')
            ORDER BY t.due_at NULLS LAST, t.id LIMIT @max
            """, new { numbers, max = MaxTickets }, cancellationToken: ct)))
            .Select(t => new OpenTicket(t.Id, t.Number, t.Category, t.Status,
                t.DueAt is { } due ? new DateTimeOffset(DateTime.SpecifyKind(due, DateTimeKind.Utc)) : null)).ToList();
        await audit.AppendAsync(new AuditEntry(DeskActors.Desk(agentId), "citizen.history_read", "agent", agentId.ToString(CultureInfo.InvariantCulture), null,
            new { phone = Tickets.PhoneNumbers.Mask(phone ?? callerNumber), call = callId, calls = calls.Select(c => c.CallId), ticketIds = open.Select(t => t.Id) }), ct);
        return (callRowId, new CitizenHistory(calls, open));
    }
}

public static class DeskActors
{
    /// <summary>The reader of the history shown on an agent's desk.</summary>
    public static string Desk(long agentId) => "desk:agent-" + agentId.ToString(CultureInfo.InvariantCulture);
}
