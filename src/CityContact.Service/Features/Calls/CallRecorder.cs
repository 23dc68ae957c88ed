using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Npgsql;
using Prometheus;

namespace CityContact.Service.Features.Calls;

/// <summary>What the IVR records about a call; written in the order recorded, each write idempotent.</summary>
public abstract record CallRecord(string ChannelId);

/// <summary>The call's row; <see cref="Direction"/> is one of <see cref="CallDirections"/> (a survey call is outbound).</summary>
public sealed record CallOpened(
    string ChannelId, string Caller, string DialedNumber, string Language, DateTimeOffset StartedAt, long? FlowVersionId,
    string Direction = CallDirections.Inbound) : CallRecord(ChannelId);

/// <summary>One timeline step; <see cref="Uid"/> is generated when recorded, so a retried write stores it once.</summary>
public sealed record CallStep(string ChannelId, Guid Uid, DateTimeOffset At, string Type, string Data) : CallRecord(ChannelId);

/// <summary>
/// The call's end. <see cref="Readopted"/>: the call was taken over from a previous service instance, whose part of the IVR
/// path is only on the timeline; the stored path is then the timeline's nodes (both instances'), not <see cref="Path"/>.
/// </summary>
public sealed record CallClosed(
    string ChannelId, Guid Uid, DateTimeOffset EndedAt, string Outcome, DateTimeOffset? AnsweredAt, string Language,
    IReadOnlyList<string> Path, IReadOnlyDictionary<string, string> Variables, string? HangupCause, bool Readopted = false) : CallRecord(ChannelId);

public sealed class CallRecorderOptions
{
    public const string Section = "CallRecorder";

    /// <summary>Records waiting for the database; beyond this the oldest is dropped (and counted).</summary>
    public int Capacity { get; set; } = 100_000;

    public int BatchSize { get; set; } = 500;

    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Write-behind for call rows and timelines: a call never waits on PostgreSQL. Records go into a bounded queue and
/// one writer stores them in batches, retrying a failed batch until the database answers again (every statement
/// is idempotent: rows keyed by channel id, events by their uid). When the queue is full the oldest record is
/// dropped, logged and counted in <c>citycontact_call_records_dropped_total</c>. A record the database refuses (a
/// constraint, a malformed value) is set aside, logged and counted in <c>citycontact_call_records_refused_total</c>.
/// </summary>
public sealed partial class CallRecorder : BackgroundService
{
    private static readonly Counter Dropped = Metrics.CreateCounter(
        "citycontact_call_records_dropped_total", "Call rows and events dropped because the write-behind queue was full.");
    private static readonly Counter Written = Metrics.CreateCounter(
        "citycontact_call_records_written_total", "Call rows and events stored by the write-behind writer.");
    private static readonly Counter Retries = Metrics.CreateCounter(
        "citycontact_call_records_retries_total", "Batches retried because the database failed.");
    private static readonly Counter Refused = Metrics.CreateCounter(
        "citycontact_call_records_refused_total", "Call rows and events the database refused (a constraint or a malformed value): set aside, logged.");
    private static readonly Gauge Waiting = Metrics.CreateGauge(
        "citycontact_call_records_waiting", "Call rows and events waiting for the database.");

    private readonly NpgsqlDataSource _dataSource;
    private readonly CallRecorderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CallRecorder> _logger;
    private readonly Channel<CallRecord> _queue;
    private long _pending;
    private long _dropped;
    private long _refused;

    public CallRecorder(NpgsqlDataSource dataSource, IOptions<CallRecorderOptions> options, TimeProvider time, ILogger<CallRecorder> logger)
    {
        _dataSource = dataSource;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<CallRecord>(
            new BoundedChannelOptions(_options.Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            OnDropped);
    }

    /// <summary>Records not yet stored (queued or in the batch being written).</summary>
    public long Pending => Interlocked.Read(ref _pending);

    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Records the database refused and that were set aside (see the log for which and why).</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>Never blocks: a full queue drops its oldest record instead.</summary>
    public void Record(CallRecord record)
    {
        Interlocked.Increment(ref _pending);
        Waiting.Inc();
        if (!_queue.Writer.TryWrite(record))
        {
            Interlocked.Decrement(ref _pending);
            Waiting.Dec();
        }
    }

    public void Step(string channelId, DateTimeOffset at, string type, object? data = null) =>
        Record(new CallStep(channelId, Guid.CreateVersion7(at), at, type, JsonSerializer.Serialize(data ?? new { })));

    /// <summary>Completes when everything recorded so far is stored (tests and shutdown).</summary>
    public async Task WaitUntilStoredAsync(CancellationToken ct)
    {
        while (Pending > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }
    }

    /// <summary>
    /// The id of a call's row, for what links to it (a ticket, a callback request). The row is written behind the call, at
    /// answer time, so it is almost always stored already; only when it is not does this wait (two seconds at most) for the
    /// writer to catch up. Null when the row is still not stored (logged: the link is then missing).
    /// </summary>
    public async Task<long?> CallIdAsync(string channelId, CancellationToken ct)
    {
        if (await StoredCallIdAsync(channelId, ct) is { } id)
        {
            return id;
        }
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await WaitUntilStoredAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            LogCallRowLate(channelId);
        }
        return await StoredCallIdAsync(channelId, ct);
    }

    private async Task<long?> StoredCallIdAsync(string channelId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM calls WHERE channel_id = @channelId", new { channelId }, cancellationToken: ct));
    }

    private void OnDropped(CallRecord record)
    {
        Interlocked.Decrement(ref _pending);
        Interlocked.Increment(ref _dropped);
        Waiting.Dec();
        Dropped.Inc();
        LogDropped(record.GetType().Name, record.ChannelId);
    }

    /// <summary>
    /// Stores what is queued (the rows of calls this shutdown ended included: the telephony host, stopping first, has
    /// waited for their handlers) before the writer stops; only the host's shutdown timeout cuts the drain short.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await WaitUntilStoredAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The writer's own stop below logs how many records are left.
        }
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<CallRecord>(_options.BatchSize);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < _options.BatchSize && _queue.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }
                await WriteWithRetryAsync(batch, stoppingToken);
                Interlocked.Add(ref _pending, -batch.Count);
                Waiting.Dec(batch.Count);
                Written.Inc(batch.Count);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            if (batch.Count + _queue.Reader.Count is > 0 and var unwritten)
            {
                LogUnwrittenAtStop(unwritten);
            }
        }
    }

    private async Task WriteWithRetryAsync(List<CallRecord> batch, CancellationToken ct)
    {
        var delay = _options.RetryMinDelay;
        var oneByOne = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (oneByOne)
                {
                    await WriteEachAsync(batch, ct);
                }
                else
                {
                    await WriteAsync(batch, ct);
                }
                if (attempt > 1)
                {
                    LogRecovered(batch.Count, attempt);
                }
                return;
            }
            catch (PostgresException e) when (IsRefused(e) && !oneByOne)
            {
                // A record the database refuses fails the same way on every retry: the batch is stored one record at a
                // time instead, and only the refused ones are set aside, so one bad record never stalls every call's rows.
                oneByOne = true;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException
                                      && !ct.IsCancellationRequested)
            {
                Retries.Inc();
                if (attempt == 1 || attempt % 20 == 0)
                {
                    LogWriteFailed(e, batch.Count, attempt, (int)delay.TotalMilliseconds);
                }
                await Task.Delay(delay, _time, ct);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.RetryMaxDelay.Ticks));
            }
        }
    }

    /// <summary>Each record in its own transaction (every write is idempotent, so a retry of the whole pass is harmless).</summary>
    private async Task WriteEachAsync(List<CallRecord> batch, CancellationToken ct)
    {
        foreach (var record in batch)
        {
            try
            {
                await WriteAsync([record], ct);
            }
            catch (PostgresException e) when (IsRefused(e))
            {
                Interlocked.Increment(ref _refused);
                Refused.Inc();
                // The constraint's name, never the message: a data error's message can quote the value (a caller's number).
                LogRefused(record.GetType().Name, record.ChannelId, e.SqlState, e.ConstraintName ?? "no constraint");
            }
        }
    }

    /// <summary>Data exceptions (class 22) and integrity violations (class 23): the same record fails again, whenever.</summary>
    private static bool IsRefused(PostgresException e) => e.SqlState.StartsWith("22", StringComparison.Ordinal) || e.SqlState.StartsWith("23", StringComparison.Ordinal);

    /// <summary>
    /// A batch in one transaction and one round trip: a statement per kind of record, each over arrays (a set-based
    /// write costs the database far less per call than a statement per record). Rows first, then steps, then closes: a
    /// call's records keep their order, since a call is opened before its steps and closed after them.
    /// </summary>
    private async Task WriteAsync(List<CallRecord> batch, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var statements = new NpgsqlBatch(connection, transaction);
        if (batch.OfType<CallOpened>().ToList() is { Count: > 0 } opened)
        {
            statements.BatchCommands.Add(Statement("""
                INSERT INTO calls (channel_id, caller, dialed_number, language, started_at, flow_version_id, direction)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::text[])
                ON CONFLICT (channel_id) DO NOTHING
                """,
                Array(opened, o => o.ChannelId), Array(opened, o => o.Caller), Array(opened, o => o.DialedNumber), Array(opened, o => o.Language),
                Array(opened, o => o.StartedAt.UtcDateTime), Array(opened, o => o.FlowVersionId), Array(opened, o => o.Direction)));
        }
        if (batch.OfType<CallStep>().ToList() is { Count: > 0 } steps)
        {
            statements.BatchCommands.Add(Statement("""
                INSERT INTO call_events (call_id, event_uid, at, type, data)
                SELECT c.id, s.uid, s.at, s.type, s.data
                FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::text[], $5::jsonb[]) WITH ORDINALITY AS s (channel_id, uid, at, type, data, n)
                JOIN calls c ON c.channel_id = s.channel_id
                ORDER BY s.n
                ON CONFLICT (event_uid) WHERE event_uid IS NOT NULL DO NOTHING
                """,
                Array(steps, x => x.ChannelId), Array(steps, x => x.Uid), Array(steps, x => x.At.UtcDateTime), Array(steps, x => x.Type),
                Json(steps, x => x.Data)));
        }
        if (batch.OfType<CallClosed>().ToList() is { Count: > 0 } closed)
        {
            // A re-adopted call's path is rebuilt from its stored steps: the handler that closes it saw only its end.
            statements.BatchCommands.Add(Statement("""
                WITH input AS (
                    SELECT * FROM unnest($1::text[], $2::uuid[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[],
                                         $8::text[], $9::boolean[], $10::jsonb[])
                        AS i (channel_id, uid, ended_at, outcome, answered_at, language, variables, hangup_cause, readopted, path)
                ), closed AS (
                    UPDATE calls SET
                        ended_at = greatest(i.ended_at, calls.started_at), outcome = i.outcome,
                        answered_at = coalesce(calls.answered_at, CASE WHEN i.answered_at IS NOT NULL THEN greatest(i.answered_at, calls.started_at) END),
                        language = i.language, ivr_variables = i.variables, hangup_cause = i.hangup_cause,
                        ivr_path = CASE WHEN i.readopted THEN coalesce(
                            (SELECT array_agg(e.data->>'node' ORDER BY e.at, e.id) FROM call_events e WHERE e.call_id = calls.id AND e.type = 'node'),
                            ARRAY(SELECT jsonb_array_elements_text(i.path))) ELSE ARRAY(SELECT jsonb_array_elements_text(i.path)) END
                    FROM input i
                    WHERE calls.channel_id = i.channel_id AND calls.ended_at IS NULL
                    RETURNING calls.id, i.uid, i.ended_at, i.outcome, i.hangup_cause
                )
                INSERT INTO call_events (call_id, event_uid, at, type, data)
                SELECT id, uid, ended_at, 'ended', jsonb_build_object('outcome', outcome, 'hangupCause', hangup_cause) FROM closed
                ON CONFLICT (event_uid) WHERE event_uid IS NOT NULL DO NOTHING
                """,
                Array(closed, c => c.ChannelId), Array(closed, c => c.Uid), Array(closed, c => c.EndedAt.UtcDateTime), Array(closed, c => c.Outcome),
                Array(closed, c => c.AnsweredAt?.UtcDateTime), Array(closed, c => c.Language), Json(closed, c => JsonSerializer.Serialize(c.Variables)),
                Array(closed, c => c.HangupCause), Array(closed, c => c.Readopted), Json(closed, c => JsonSerializer.Serialize(c.Path))));
        }
        if (statements.BatchCommands.Count > 0)
        {
            await statements.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
    }

    private static NpgsqlBatchCommand Statement(string sql, params NpgsqlParameter[] parameters)
    {
        var statement = new NpgsqlBatchCommand(sql);
        statement.Parameters.AddRange(parameters);
        return statement;
    }

    private static NpgsqlParameter Array<TRecord, TValue>(List<TRecord> records, Func<TRecord, TValue> value) =>
        new() { Value = records.Select(value).ToArray() };

    /// <summary>JSON text as jsonb (a plain string array would be sent as text[]).</summary>
    private static NpgsqlParameter Json<TRecord>(List<TRecord> records, Func<TRecord, string> value) =>
        new() { Value = records.Select(value).ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Jsonb };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {ChannelId}: its row is not stored yet; what links to the call is stored without the link")]
    private partial void LogCallRowLate(string channelId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call write-behind queue full: dropped the oldest record ({RecordType} of channel {ChannelId})")]
    private partial void LogDropped(string recordType, string channelId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing {Count} call records failed (attempt {Attempt}); retrying in {DelayMs} ms")]
    private partial void LogWriteFailed(Exception e, int count, int attempt, int delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "The database refused a {RecordType} of channel {ChannelId} ({SqlState}, {Reason}): set aside, the other records are stored")]
    private partial void LogRefused(string recordType, string channelId, string sqlState, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored {Count} call records after {Attempt} attempts")]
    private partial void LogRecovered(int count, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service stopping with {Count} call records not stored")]
    private partial void LogUnwrittenAtStop(int count);
}
