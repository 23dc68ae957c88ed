using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Queues;

public static class CallbackStates
{
    public const string Pending = "pending";
    public const string Dialing = "dialing";
    public const string Reached = "reached";
    public const string NoAnswer = "no_answer";
    public const string Busy = "busy";
    public const string Failed = "failed";
}

public sealed record StoredCallback(
    long Id, long DepartmentId, string Phone, long? TicketId, long? CallId, DateTime NotBefore, int Priority, string State,
    int Attempts, int MaxAttempts, string? LastOutcome);

/// <summary>
/// callback_requests, one statement per method. The state machine lives in the WHERE clauses: only a pending request
/// can be claimed, only a dialing one can be finished or sent back to pending, so a second claimer or a late result
/// changes nothing.
/// </summary>
public sealed class CallbackStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, department_id, phone, ticket_id, call_id, not_before, priority, state, attempts, max_attempts, last_outcome";

    /// <summary>Stores the request, or returns the open request of the same ticket or call.</summary>
    public async Task<long> RequestAsync(CallbackRequest request, int maxAttempts, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO callback_requests (department_id, phone, ticket_id, call_id, not_before, priority, max_attempts)
            VALUES (@DepartmentId, @Phone, @TicketId, @CallId, @NotBefore, @Priority, @maxAttempts)
            ON CONFLICT DO NOTHING RETURNING id
            """, new { request.DepartmentId, request.Phone, request.TicketId, request.CallId, NotBefore = request.NotBefore.UtcDateTime, request.Priority, maxAttempts },
            cancellationToken: ct));
        return id ?? await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            SELECT id FROM callback_requests
            WHERE state IN ('pending', 'dialing') AND (ticket_id = @TicketId OR call_id = @CallId)
            ORDER BY id LIMIT 1
            """, new { request.TicketId, request.CallId }, cancellationToken: ct));
    }

    /// <summary>Claims the most urgent due request for dialling (pending → dialing); null when none is due.</summary>
    public async Task<StoredCallback?> ClaimNextAsync(DateTimeOffset now, string claimer, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<StoredCallback>(new CommandDefinition($"""
            UPDATE callback_requests SET state = 'dialing', attempts = attempts + 1, claimed_by = @claimer, updated_at = now()
            WHERE id = (SELECT id FROM callback_requests WHERE state = 'pending' AND not_before <= @now
                        ORDER BY priority DESC, not_before, id FOR UPDATE SKIP LOCKED LIMIT 1)
              AND state = 'pending'
            RETURNING {Columns}
            """, new { now = now.UtcDateTime, claimer }, cancellationToken: ct));
    }

    /// <summary>
    /// Records a dialling attempt's outcome: reached ends the request; otherwise it goes back to pending after
    /// <paramref name="retryAfter"/> until its attempts are used up. False when the request was not dialing.
    /// </summary>
    public async Task<bool> FinishAttemptAsync(long id, string outcome, DateTimeOffset retryAt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE callback_requests SET
                state = CASE WHEN @outcome = 'reached' OR attempts >= max_attempts THEN @outcome ELSE 'pending' END,
                not_before = CASE WHEN @outcome = 'reached' OR attempts >= max_attempts THEN not_before ELSE @retryAt END,
                last_outcome = @outcome, claimed_by = NULL, updated_at = now()
            WHERE id = @id AND state = 'dialing'
            """, new { id, outcome, retryAt = retryAt.UtcDateTime }, cancellationToken: ct)) == 1;
    }

    /// <summary>Requests this number had since <paramref name="since"/> (the per-number rate limit).</summary>
    public async Task<int> CountForPhoneAsync(string phone, DateTimeOffset since, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*) FROM callback_requests WHERE phone = @phone AND created_at >= @since",
            new { phone, since = since.UtcDateTime }, cancellationToken: ct));
    }

    public async Task<StoredCallback?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<StoredCallback>(new CommandDefinition(
            $"SELECT {Columns} FROM callback_requests WHERE id = @id", new { id }, cancellationToken: ct));
    }
}
