using System.Text.Json;
using CityContact.Service.Infrastructure.Http;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Calls;

/// <summary>How a call ended; the database checks the same closed set.</summary>
public static class CallOutcomes
{
    public const string Answered = "answered";
    public const string Abandoned = "abandoned";
    public const string Voicemail = "voicemail";
    public const string Callback = "callback";
    public const string SelfService = "self-service";
    public const string Failed = "failed";

    public static IReadOnlyList<string> All { get; } = [Answered, Abandoned, Voicemail, Callback, SelfService, Failed];
}

/// <summary>Who placed the call: a citizen calling the city, or the city calling out (a survey). Reports count inbound calls only.</summary>
public static class CallDirections
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";

    public static IReadOnlyList<string> All { get; } = [Inbound, Outbound];
}

public sealed record Call(
    long Id,
    string ChannelId,
    string Caller,
    string DialedNumber,
    string Language,
    DateTime StartedAt,
    DateTime? AnsweredAt,
    DateTime? EndedAt,
    string? Outcome,
    long? DepartmentId,
    long? QueueId,
    long? AgentId,
    long? QueueWaitMs,
    long? TalkMs,
    string[] IvrPath,
    bool Urgent,
    string? HangupCause,
    string Direction);

public sealed record CallEvent(long Id, long CallId, DateTime At, string Type, string Data);

public sealed record NewCall(string ChannelId, string Caller, string DialedNumber, string Language, DateTime StartedAt, string Direction = CallDirections.Inbound);

/// <summary>What is known when a call ends; the stored row keeps whatever earlier updates set when a field is null here.</summary>
public sealed record CallEnd(
    DateTime EndedAt,
    string Outcome,
    DateTime? AnsweredAt = null,
    long? DepartmentId = null,
    long? QueueId = null,
    long? AgentId = null,
    long? QueueWaitMs = null,
    long? TalkMs = null,
    string[]? IvrPath = null,
    string? HangupCause = null);

public sealed record CallFilter(DateTime? From, DateTime? To, string? Outcome, string? DepartmentCode, string? Caller, string? Direction = null);

public sealed class CallStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        c.id, c.channel_id, c.caller, c.dialed_number, c.language, c.started_at, c.answered_at, c.ended_at, c.outcome,
        c.department_id, c.queue_id, c.agent_id, c.queue_wait_ms, c.talk_ms, c.ivr_path, c.urgent, c.hangup_cause, c.direction
        """;

    /// <summary>Creates the call's row and its first timeline event together.</summary>
    public async Task<Call> StartAsync(NewCall call, object? eventData, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var stored = await connection.QuerySingleAsync<Call>(new CommandDefinition($"""
            INSERT INTO calls AS c (channel_id, caller, dialed_number, language, started_at, direction)
            VALUES (@ChannelId, @Caller, @DialedNumber, @Language, @StartedAt, @Direction)
            RETURNING {Columns}
            """, call, transaction, cancellationToken: ct));
        await InsertEventAsync(connection, transaction, stored.Id, call.StartedAt, "started", eventData, ct);
        await transaction.CommitAsync(ct);
        return stored;
    }

    public async Task<CallEvent> AppendEventAsync(long callId, DateTime at, string type, object? data, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await InsertEventAsync(connection, null, callId, at, type, data, ct);
    }

    /// <summary>Records the outcome and the final event together; false when the call does not exist or has already ended.</summary>
    public async Task<bool> EndAsync(long callId, CallEnd end, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE calls SET
                ended_at = @EndedAt, outcome = @Outcome,
                answered_at = coalesce(@AnsweredAt, answered_at),
                department_id = coalesce(@DepartmentId, department_id),
                queue_id = coalesce(@QueueId, queue_id),
                agent_id = coalesce(@AgentId, agent_id),
                queue_wait_ms = coalesce(@QueueWaitMs, queue_wait_ms),
                talk_ms = coalesce(@TalkMs, talk_ms),
                ivr_path = coalesce(@IvrPath, ivr_path),
                hangup_cause = coalesce(@HangupCause, hangup_cause)
            WHERE id = @callId AND ended_at IS NULL
            """, new { callId, end.EndedAt, end.Outcome, end.AnsweredAt, end.DepartmentId, end.QueueId, end.AgentId, end.QueueWaitMs, end.TalkMs, end.IvrPath, end.HangupCause },
            transaction, cancellationToken: ct));
        if (updated == 0)
        {
            return false;
        }
        await InsertEventAsync(connection, transaction, callId, end.EndedAt, "ended", new { outcome = end.Outcome, hangupCause = end.HangupCause }, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Closes the rows of calls that ended while no instance was watching (a crash, or a stop that left them in the
    /// Stasis app, then a hang-up before the next start): open, started before <paramref name="startedBefore"/> and
    /// no longer among Asterisk's channels. They end at their last recorded step, answered when an agent had taken them,
    /// else abandoned, with cause <c>ended-while-service-down</c>; each gets its "ended" step. Returns how many.
    /// </summary>
    public async Task<int> CloseVanishedAsync(IReadOnlyCollection<string> liveChannelIds, DateTimeOffset startedBefore, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            WITH closed AS (
                UPDATE calls c SET
                    ended_at = greatest(c.started_at, coalesce((SELECT max(e.at) FROM call_events e WHERE e.call_id = c.id), c.started_at)),
                    outcome = CASE WHEN c.agent_id IS NOT NULL THEN 'answered' ELSE 'abandoned' END,
                    hangup_cause = 'ended-while-service-down'
                WHERE c.ended_at IS NULL AND c.started_at < @startedBefore AND NOT (c.channel_id = ANY (@live))
                RETURNING c.id, c.ended_at, c.outcome)
            INSERT INTO call_events (call_id, at, type, data)
            SELECT id, ended_at, 'ended', jsonb_build_object('outcome', outcome, 'hangupCause', 'ended-while-service-down') FROM closed
            """, new { live = liveChannelIds.ToArray(), startedBefore = startedBefore.UtcDateTime }, cancellationToken: ct));
    }

    public async Task<Call?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Call>(new CommandDefinition(
            $"SELECT {Columns} FROM calls c WHERE c.id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<CallEvent>> TimelineAsync(long callId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var events = await connection.QueryAsync<CallEvent>(new CommandDefinition(
            "SELECT id, call_id, at, type, data::text AS data FROM call_events WHERE call_id = @callId ORDER BY at, id",
            new { callId }, cancellationToken: ct));
        return [.. events];
    }

    /// <summary>Newest first; <c>From</c> inclusive, <c>To</c> exclusive, on the start time.</summary>
    public async Task<Page<Call>> ListAsync(CallFilter filter, PageRequest page, CancellationToken ct)
    {
        const string Where = """
            WHERE (@From::timestamptz IS NULL OR c.started_at >= @From)
              AND (@To::timestamptz IS NULL OR c.started_at < @To)
              AND (@Outcome::text IS NULL OR c.outcome = @Outcome)
              AND (@DepartmentCode::text IS NULL OR c.department_id = (SELECT id FROM departments WHERE code = @DepartmentCode))
              AND (@Caller::text IS NULL OR c.caller = @Caller)
              AND (@Direction::text IS NULL OR c.direction = @Direction)
            """;
        var parameters = new { filter.From, filter.To, filter.Outcome, filter.DepartmentCode, filter.Caller, filter.Direction, page.Limit, page.Offset };
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM calls c {Where}", parameters, cancellationToken: ct));
        var items = await connection.QueryAsync<Call>(new CommandDefinition(
            $"SELECT {Columns} FROM calls c {Where} ORDER BY c.started_at DESC, c.id DESC LIMIT @Limit OFFSET @Offset",
            parameters, cancellationToken: ct));
        return Page.Of([.. items], total, page);
    }

    private static Task<CallEvent> InsertEventAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long callId, DateTime at, string type, object? data, CancellationToken ct) =>
        connection.QuerySingleAsync<CallEvent>(new CommandDefinition("""
            INSERT INTO call_events (call_id, at, type, data) VALUES (@callId, @at, @type, @data::jsonb)
            RETURNING id, call_id, at, type, data::text AS data
            """, new { callId, at, type, data = JsonSerializer.Serialize(data ?? new { }) }, transaction, cancellationToken: ct));
}
