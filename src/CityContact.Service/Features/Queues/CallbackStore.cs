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

/// <param name="RecordingRef">The voicemail message of the request's ticket (an Asterisk stored recording), played to the agent first.</param>
public sealed record StoredCallback(
    long Id, long DepartmentId, string Phone, long? TicketId, long? CallId, DateTime NotBefore, int Priority, string State,
    int Attempts, int MaxAttempts, string? LastOutcome, string? RecordingRef);

/// <summary>What a claim found when it took over the 'dialing' row of an instance whose lease ran out.</summary>
/// <param name="AgentChannel">The last agent leg that instance originated, null when it rang nobody.</param>
/// <param name="CitizenChannel">The citizen leg that instance originated, null when it never dialled.</param>
public sealed record TakenOverAttempt(string? ClaimedBy, string? AgentChannel, string? CitizenChannel, bool CitizenAnswered);

/// <summary>A claimed request, and the dead instance's attempt when the claim was a takeover.</summary>
public sealed record CallbackClaim(StoredCallback Request, TakenOverAttempt? TakenOver);

/// <summary>Why a claim got nothing: the request is not due yet, another instance holds a live lease on it, or it is over.</summary>
public sealed record CallbackNotClaimed(string State, DateTime NotBefore, DateTime? LeaseUntil);

/// <summary>An open request as the start-up sweep sees it.</summary>
public sealed record OpenCallback(long Id, string State, DateTime NotBefore, DateTime? LeaseUntil);

/// <summary>
/// callback_requests, one statement per method. The state machine lives in the WHERE clauses: only a pending request
/// (or a dialing one whose lease expired) can be claimed, only a dialing one held by the caller of the method can be
/// finished or released, so a second claimer or a late result changes nothing. Leases are on the database's clock
/// (<c>now()</c>), the one clock every instance shares; <c>not_before</c> is on the service's <see cref="TimeProvider"/>.
/// </summary>
public sealed class CallbackStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        r.id, r.department_id, r.phone, r.ticket_id, r.call_id, r.not_before, r.priority, r.state, r.attempts, r.max_attempts,
        r.last_outcome, (SELECT t.recording_ref FROM tickets t WHERE t.id = r.ticket_id) AS recording_ref
        """;

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

    /// <summary>
    /// Claims request <paramref name="id"/> for dialling under a lease of <paramref name="lease"/>: a due pending
    /// request, or a dialing one whose lease ran out (a takeover, reported with what the dead attempt left). Null when
    /// there is nothing to claim; <see cref="WhyNotClaimedAsync"/> says why.
    /// </summary>
    public async Task<CallbackClaim?> ClaimAsync(long id, DateTimeOffset now, string claimer, TimeSpan lease, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ClaimRow>(new CommandDefinition($"""
            WITH previous AS (
                SELECT id, state, claimed_by, agent_channel, citizen_channel, citizen_answered_at FROM callback_requests
                WHERE id = @id AND ((state = 'pending' AND not_before <= @now) OR (state = 'dialing' AND lease_until < now()))
                FOR UPDATE
            )
            UPDATE callback_requests r SET state = 'dialing', claimed_by = @claimer, claimed_at = now(),
                lease_until = now() + @lease, updated_at = now(),
                -- A takeover keeps the dead attempt's citizen leg: the recovery rule reads it, and it was counted already.
                agent_channel = NULL,
                citizen_channel = CASE WHEN p.state = 'pending' THEN NULL ELSE r.citizen_channel END,
                citizen_answered_at = CASE WHEN p.state = 'pending' THEN NULL ELSE r.citizen_answered_at END
            FROM previous p WHERE r.id = p.id
            RETURNING {Columns}, p.state = 'dialing' AS taken_over, p.claimed_by AS previous_claimer,
                p.agent_channel AS previous_agent_channel, p.citizen_channel AS previous_citizen_channel, p.citizen_answered_at IS NOT NULL AS previous_answered
            """, new { id, now = now.UtcDateTime, claimer, lease }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }
        var request = new StoredCallback(row.Id, row.DepartmentId, row.Phone, row.TicketId, row.CallId, row.NotBefore, row.Priority, row.State,
            row.Attempts, row.MaxAttempts, row.LastOutcome, row.RecordingRef);
        return new CallbackClaim(request,
            row.TakenOver ? new TakenOverAttempt(row.PreviousClaimer, row.PreviousAgentChannel, row.PreviousCitizenChannel, row.PreviousAnswered) : null);
    }

    public async Task<CallbackNotClaimed?> WhyNotClaimedAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<CallbackNotClaimed>(new CommandDefinition(
            "SELECT state, not_before, lease_until FROM callback_requests WHERE id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>An agent leg is about to be originated: a takeover hangs it up rather than leave the agent on a call nobody runs.</summary>
    public async Task<bool> AgentRungAsync(long id, string claimer, string channelId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE callback_requests SET agent_channel = @channelId, updated_at = now()
            WHERE id = @id AND state = 'dialing' AND claimed_by = @claimer
            """, new { id, claimer, channelId }, cancellationToken: ct)) == 1;
    }

    /// <summary>The citizen leg is about to be originated: the attempt counts from here, and a takeover knows to look for the leg.</summary>
    public async Task<bool> CitizenDialledAsync(long id, string claimer, string channelId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE callback_requests SET citizen_channel = @channelId, attempts = attempts + 1, updated_at = now()
            WHERE id = @id AND state = 'dialing' AND claimed_by = @claimer
            """, new { id, claimer, channelId }, cancellationToken: ct)) == 1;
    }

    /// <summary>The citizen answered: from here a crash can no longer lead to a second call to them.</summary>
    public async Task<bool> CitizenAnsweredAsync(long id, string claimer, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE callback_requests SET citizen_answered_at = now(), updated_at = now()
            WHERE id = @id AND state = 'dialing' AND claimed_by = @claimer
            """, new { id, claimer }, cancellationToken: ct)) == 1;
    }

    /// <summary>
    /// Records an attempt's outcome: reached ends the request; otherwise it goes back to pending at
    /// <paramref name="retryAt"/> until its attempts are used up. An attempt that failed before the citizen was dialled
    /// counts here (so a request that can never be dialled still ends). Returns the request's new state, null when
    /// <paramref name="claimer"/> did not hold it.
    /// </summary>
    public async Task<string?> FinishAttemptAsync(long id, string claimer, string outcome, DateTimeOffset retryAt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition("""
            WITH counted AS (
                SELECT id, attempts + CASE WHEN citizen_channel IS NULL THEN 1 ELSE 0 END AS attempts
                FROM callback_requests WHERE id = @id AND state = 'dialing' AND claimed_by = @claimer FOR UPDATE
            )
            UPDATE callback_requests r SET
                attempts = c.attempts,
                state = CASE WHEN @outcome = 'reached' OR c.attempts >= r.max_attempts THEN @outcome ELSE 'pending' END,
                not_before = CASE WHEN @outcome = 'reached' OR c.attempts >= r.max_attempts THEN r.not_before ELSE @retryAt END,
                last_outcome = @outcome, claimed_by = NULL, lease_until = NULL, updated_at = now()
            FROM counted c WHERE r.id = c.id
            RETURNING r.state
            """, new { id, claimer, outcome, retryAt = retryAt.UtcDateTime }, cancellationToken: ct));
    }

    /// <summary>
    /// Gives the request back without counting an attempt (the service stopped, or nobody can take callbacks now), to
    /// be claimed again from <paramref name="notBefore"/>. Only before the citizen was dialled: false otherwise.
    /// </summary>
    public async Task<bool> ReleaseAsync(long id, string claimer, string reason, DateTimeOffset notBefore, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE callback_requests SET state = 'pending', not_before = GREATEST(not_before, @notBefore), last_outcome = @reason,
                claimed_by = NULL, lease_until = NULL, updated_at = now()
            WHERE id = @id AND state = 'dialing' AND claimed_by = @claimer AND citizen_channel IS NULL
            """, new { id, claimer, reason, notBefore = notBefore.UtcDateTime }, cancellationToken: ct)) == 1;
    }

    /// <summary>Extends the lease of every request <paramref name="claimer"/> is dialling (its heartbeat).</summary>
    public async Task<int> RenewLeasesAsync(string claimer, TimeSpan lease, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE callback_requests SET lease_until = now() + @lease WHERE claimed_by = @claimer AND state = 'dialing'
            """, new { claimer, lease }, cancellationToken: ct));
    }

    /// <summary>Every pending or dialing request (the start-up sweep gives each a trigger).</summary>
    public async Task<IReadOnlyList<OpenCallback>> OpenAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<OpenCallback>(new CommandDefinition(
            "SELECT id, state, not_before, lease_until FROM callback_requests WHERE state IN ('pending', 'dialing') ORDER BY id",
            cancellationToken: ct))];
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
            $"SELECT {Columns} FROM callback_requests r WHERE r.id = @id", new { id }, cancellationToken: ct));
    }

    private sealed record ClaimRow(
        long Id, long DepartmentId, string Phone, long? TicketId, long? CallId, DateTime NotBefore, int Priority, string State,
        int Attempts, int MaxAttempts, string? LastOutcome, string? RecordingRef,
        bool TakenOver, string? PreviousClaimer, string? PreviousAgentChannel, string? PreviousCitizenChannel, bool PreviousAnswered);
}
