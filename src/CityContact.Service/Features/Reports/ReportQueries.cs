using System.Runtime.CompilerServices;
using Dapper;
using Npgsql;

// The benchmark runs EXPLAIN (ANALYZE, BUFFERS) on these very statements.
[assembly: InternalsVisibleTo("CityContact.Benchmarks")]

namespace CityContact.Service.Features.Reports;

/// <summary>
/// The report's SQL: one statement per figure group, each a single range scan over [from, to) on the indexed
/// instant column. <c>@departments</c> is null for the whole city.
/// </summary>
public sealed class ReportQueries(NpgsqlDataSource dataSource)
{
    public sealed record Window(DateTime From, DateTime To, string TimeZone, long[]? Departments, DateTime Now);

    // Shared predicate: citizens' calls (inbound: a survey call the city places is not traffic) that started in the
    // period, have ended, and belong to the scope.
    private const string CallsInScope = """
        c.started_at >= @From AND c.started_at < @To AND c.outcome IS NOT NULL AND c.direction = 'inbound'
        AND (@Departments::bigint[] IS NULL OR c.department_id = ANY(@Departments))
        """;

    internal const string CallFiguresSql = $"""
        SELECT count(*)::int AS offered,
               count(*) FILTER (WHERE c.outcome = 'answered')::int AS answered,
               count(*) FILTER (WHERE c.outcome = 'abandoned')::int AS abandoned,
               count(*) FILTER (WHERE c.outcome = 'self-service')::int AS self_service,
               count(*) FILTER (WHERE c.outcome = 'voicemail')::int AS voicemail,
               count(*) FILTER (WHERE c.outcome = 'failed')::int AS failed,
               count(*) FILTER (WHERE c.outcome = 'callback')::int AS callbacks_requested,
               count(*) FILTER (WHERE c.outcome = 'callback' AND cb.resolved_at IS NOT NULL)::int AS callbacks_completed,
               count(*) FILTER (WHERE c.outcome = 'callback'
                   AND cb.resolved_at <= coalesce(cb.due_at, c.ended_at + make_interval(hours => @SlaHours)))::int AS callbacks_within_sla,
               count(*) FILTER (WHERE c.outcome = 'answered' AND c.queue_wait_ms <= @ServiceLevelMs)::int AS answered_within_service_level,
               count(*) FILTER (WHERE c.outcome = 'abandoned' AND w.waited_ms < 30000)::int AS abandoned_under30_seconds,
               count(*) FILTER (WHERE c.outcome = 'abandoned' AND w.waited_ms >= 30000 AND w.waited_ms < 120000)::int AS abandoned30_to120_seconds,
               count(*) FILTER (WHERE c.outcome = 'abandoned' AND w.waited_ms >= 120000)::int AS abandoned_over120_seconds,
               (avg(w.waited_ms) FILTER (WHERE c.outcome = 'abandoned') / 1000.0)::float8 AS average_abandon_seconds,
               (avg(c.queue_wait_ms) FILTER (WHERE c.outcome = 'answered') / 1000.0)::float8 AS average_speed_of_answer_seconds,
               (avg(c.talk_ms) FILTER (WHERE c.outcome = 'answered') / 1000.0)::float8 AS average_handle_seconds,
               (max(c.queue_wait_ms) / 1000.0)::float8 AS longest_wait_seconds
        FROM calls c
        -- A caller who hangs up before any queue waited the whole call.
        CROSS JOIN LATERAL (SELECT coalesce(c.queue_wait_ms, (extract(epoch FROM c.ended_at - c.started_at) * 1000)::bigint) AS waited_ms) w
        LEFT JOIN tickets cb ON cb.call_id = c.id AND cb.kind = 'callback' AND c.outcome = 'callback'
        WHERE {CallsInScope}
        """;

    // One hash aggregate over the 168 (hour, weekday) cells; the two distributions are summed from them.
    internal const string DistributionSql = $"""
        SELECT extract(hour FROM l.local)::int AS hour, extract(isodow FROM l.local)::int AS dow, count(*)::int AS offered,
               count(*) FILTER (WHERE c.outcome = 'answered')::int AS answered,
               count(*) FILTER (WHERE c.outcome = 'abandoned')::int AS abandoned
        FROM calls c
        CROSS JOIN LATERAL (SELECT c.started_at AT TIME ZONE @TimeZone AS local) l
        WHERE {CallsInScope}
        GROUP BY 1, 2
        """;

    internal const string DepartmentsSql = $"""
        WITH call_figures AS (
            SELECT c.department_id,
                   count(*)::int AS offered,
                   count(*) FILTER (WHERE c.outcome = 'answered')::int AS answered,
                   count(*) FILTER (WHERE c.outcome = 'abandoned')::int AS abandoned,
                   (avg(c.queue_wait_ms) FILTER (WHERE c.outcome = 'answered') / 1000.0)::float8 AS asa
            FROM calls c
            WHERE {CallsInScope} AND c.department_id IS NOT NULL
            GROUP BY c.department_id
        ), ticket_figures AS (
            SELECT t.department_id,
                   count(*) FILTER (WHERE t.created_at >= @From AND t.created_at < @To)::int AS opened,
                   count(*) FILTER (WHERE t.due_at >= @From AND t.due_at < @To
                                    AND (t.resolved_at IS NULL OR t.resolved_at > t.due_at))::int AS overdue
            FROM tickets t
            WHERE ((t.created_at >= @From AND t.created_at < @To) OR (t.due_at >= @From AND t.due_at < @To))
              AND t.department_id IS NOT NULL
            GROUP BY t.department_id
        )
        SELECT d.id, d.code, d.name,
               coalesce(cf.offered, 0) AS offered, coalesce(cf.answered, 0) AS answered, coalesce(cf.abandoned, 0) AS abandoned,
               cf.asa AS average_speed_of_answer_seconds,
               coalesce(tf.opened, 0) AS tickets_opened, coalesce(tf.overdue, 0) AS tickets_overdue
        FROM departments d
        LEFT JOIN call_figures cf ON cf.department_id = d.id
        LEFT JOIN ticket_figures tf ON tf.department_id = d.id
        WHERE @Departments::bigint[] IS NULL OR d.id = ANY(@Departments)
        ORDER BY d.name, d.id
        """;

    internal const string AgentsSql = """
        WITH scoped_agents AS (
            SELECT a.id, a.name FROM agents a
            WHERE @Departments::bigint[] IS NULL OR a.department_id = ANY(@Departments)
        ), changes AS (
            SELECT s.agent_id, s.at, s.id, s.state FROM agent_state_changes s
            JOIN scoped_agents a ON a.id = s.agent_id
            WHERE s.at >= @From AND s.at < @To
            UNION ALL
            SELECT a.id, @From, before.id, before.state FROM scoped_agents a
            CROSS JOIN LATERAL (SELECT s.id, s.state FROM agent_state_changes s
                                WHERE s.agent_id = a.id AND s.at < @From ORDER BY s.at DESC, s.id DESC LIMIT 1) before
        ), spans AS (
            SELECT agent_id, state, at AS starts,
                   coalesce(lead(at) OVER (PARTITION BY agent_id ORDER BY at, id), least(@To, @Now)) AS ends
            FROM changes
        ), state_time AS (
            SELECT agent_id,
                   sum(extract(epoch FROM ends - starts)) FILTER (WHERE state <> 'logged_out')::float8 AS logged_in_seconds,
                   sum(extract(epoch FROM ends - starts)) FILTER (WHERE state = 'paused')::float8 AS paused_seconds
            FROM spans WHERE ends > starts GROUP BY agent_id
        ), talk AS (
            SELECT c.agent_id, (sum(c.talk_ms) / 1000.0)::float8 AS talking_seconds, count(*)::int AS calls_answered
            FROM calls c
            WHERE c.started_at >= @From AND c.started_at < @To AND c.outcome = 'answered' AND c.agent_id IS NOT NULL AND c.direction = 'inbound'
            GROUP BY c.agent_id
        ), reviewed AS (
            SELECT r.agent_id, avg(r.average)::float8 AS quality_average FROM reviews r
            WHERE r.at >= @From AND r.at < @To AND r.agent_id IS NOT NULL GROUP BY r.agent_id
        )
        SELECT a.id, a.name, coalesce(st.logged_in_seconds, 0) AS logged_in_seconds, coalesce(st.paused_seconds, 0) AS paused_seconds,
               coalesce(t.talking_seconds, 0) AS talking_seconds, coalesce(t.calls_answered, 0) AS calls_answered, rv.quality_average
        FROM scoped_agents a
        LEFT JOIN state_time st ON st.agent_id = a.id
        LEFT JOIN talk t ON t.agent_id = a.id
        LEFT JOIN reviewed rv ON rv.agent_id = a.id
        WHERE st.agent_id IS NOT NULL OR t.agent_id IS NOT NULL
        ORDER BY a.name, a.id
        """;

    internal const string TicketsSql = """
        SELECT t.kind, d.name AS department,
               count(*) FILTER (WHERE t.created_at >= @From AND t.created_at < @To)::int AS opened,
               count(*) FILTER (WHERE t.resolved_at >= @From AND t.resolved_at < @To)::int AS resolved,
               count(*) FILTER (WHERE t.due_at >= @From AND t.due_at < @To
                                AND (t.resolved_at IS NULL OR t.resolved_at > t.due_at))::int AS overdue,
               (avg(extract(epoch FROM t.resolved_at - t.created_at))
                    FILTER (WHERE t.resolved_at >= @From AND t.resolved_at < @To) / 3600.0)::float8 AS average_resolution_hours
        FROM tickets t
        LEFT JOIN departments d ON d.id = t.department_id
        WHERE ((t.created_at >= @From AND t.created_at < @To)
               OR (t.resolved_at >= @From AND t.resolved_at < @To)
               OR (t.due_at >= @From AND t.due_at < @To))
          AND (@Departments::bigint[] IS NULL OR t.department_id = ANY(@Departments))
        GROUP BY t.kind, d.name
        ORDER BY t.kind, d.name NULLS LAST
        """;

    // Callers, not events: a caller who timed out three times at a menu is one caller, and one who timed out and then
    // reached a queue was not failed by the menu (the report said "96 of 99 callers" from 120 timeout events of 44 calls,
    // 36 of which reached a queue). A caller counts once per node: as a hang-up there, else as a timeout there.
    internal const string IvrNodesSql = $"""
        WITH visits AS (
            SELECT node, count(DISTINCT c.id)::int AS visits
            FROM calls c CROSS JOIN LATERAL unnest(c.ivr_path) AS node
            WHERE {CallsInScope}
            GROUP BY node
        ), events AS (
            SELECT c.ivr_path[cardinality(c.ivr_path)] AS node, c.id, c.caller, c.started_at, 'hangup' AS what
            FROM calls c
            WHERE {CallsInScope} AND c.outcome = 'abandoned' AND c.queue_id IS NULL AND cardinality(c.ivr_path) > 0
            UNION ALL
            -- A call lasts less than a day, so its events fall within a day of the period.
            SELECT e.data->>'node', c.id, c.caller, c.started_at, 'timeout'
            FROM call_events e JOIN calls c ON c.id = e.call_id
            WHERE e.type = 'timeout' AND e.at >= @From AND e.at < @To + interval '1 day' AND e.data->>'node' IS NOT NULL
              AND c.queue_id IS NULL AND {CallsInScope}
        ), failures AS (
            SELECT DISTINCT ON (node, id) node, id, caller, started_at, what
            FROM events
            ORDER BY node, id, (what = 'hangup') DESC
        )
        SELECT v.node, v.visits,
               count(f.id) FILTER (WHERE f.what = 'hangup')::int AS hangups,
               count(f.id) FILTER (WHERE f.what = 'timeout')::int AS timeouts,
               coalesce((array_agg(f.caller ORDER BY f.started_at DESC) FILTER (WHERE f.id IS NOT NULL))[1:3], ARRAY[]::text[]) AS example_callers,
               coalesce((array_agg(f.started_at ORDER BY f.started_at DESC) FILTER (WHERE f.id IS NOT NULL))[1:3], ARRAY[]::timestamptz[]) AS example_times
        FROM visits v LEFT JOIN failures f ON f.node = v.node
        GROUP BY v.node, v.visits
        ORDER BY count(f.id) DESC, v.node
        """;

    internal const string RepeatCallersSql = """
        SELECT caller, count(*)::int AS repeat_calls, max(started_at) AS last_call
        FROM (
            SELECT c.caller, c.started_at, lag(c.started_at) OVER (PARTITION BY c.caller ORDER BY c.started_at) AS previous
            FROM calls c
            WHERE c.started_at >= @From - make_interval(days => @Days) AND c.started_at < @To AND c.outcome IS NOT NULL AND c.direction = 'inbound'
              AND (@Departments::bigint[] IS NULL OR c.department_id = ANY(@Departments))
              AND c.caller ~ '^\+?[0-9]'
        ) sequence
        WHERE started_at >= @From AND previous >= started_at - make_interval(days => @Days)
        GROUP BY caller
        ORDER BY count(*) DESC, max(started_at) DESC
        """;

    internal const string CallRowsSql = $"""
        SELECT c.id, c.started_at, c.answered_at, c.ended_at, c.caller, c.outcome, d.code AS department,
               c.queue_wait_ms, c.talk_ms, c.ivr_path
        FROM calls c LEFT JOIN departments d ON d.id = c.department_id
        WHERE {CallsInScope}
        ORDER BY c.started_at, c.id
        LIMIT @Limit
        """;

    internal const string TicketRowsSql = """
        SELECT t.id, t.kind, t.status, t.priority, d.code AS department, t.created_at, t.due_at, t.resolved_at, t.rating, t.subject
        FROM tickets t LEFT JOIN departments d ON d.id = t.department_id
        WHERE ((t.created_at >= @From AND t.created_at < @To)
               OR (t.resolved_at >= @From AND t.resolved_at < @To)
               OR (t.due_at >= @From AND t.due_at < @To))
          AND (@Departments::bigint[] IS NULL OR t.department_id = ANY(@Departments))
        ORDER BY t.created_at, t.id
        LIMIT @Limit
        """;

    private const string SatisfactionScope = """
        t.resolved_at >= @From AND t.resolved_at < @To AND t.rating IS NOT NULL
        AND (@Departments::bigint[] IS NULL OR t.department_id = ANY(@Departments))
        """;
    internal const string SatisfactionSummarySql = $"SELECT avg(t.rating)::float8 AS average, count(*)::int AS rated FROM tickets t WHERE {SatisfactionScope}";
    internal const string LowRatingsSql = $"""
        SELECT t.id AS ticket_id, t.subject, t.rating::int AS rating, d.name AS department, t.resolved_at
        FROM tickets t LEFT JOIN departments d ON d.id = t.department_id
        WHERE {SatisfactionScope} AND t.rating <= @LowRating
        ORDER BY t.rating, t.resolved_at DESC, t.id
        LIMIT @MaxListed
        """;

    public async Task<CallFigures> CallFiguresAsync(Window window, int serviceLevelSeconds, int callbackSlaHours, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        return await connection.QuerySingleAsync<CallFigures>(new CommandDefinition(CallFiguresSql,
            Parameters(window, new { ServiceLevelMs = serviceLevelSeconds * 1000L, SlaHours = callbackSlaHours }), transaction, cancellationToken: ct));
    }

    /// <summary>Hours of day and ISO days of week in the city's time zone, in one pass (grouping sets).</summary>
    public async Task<(IReadOnlyList<CallDistribution> ByHour, IReadOnlyList<CallDistribution> ByDayOfWeek)> DistributionAsync(Window window, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        var cells = (await connection.QueryAsync<(int Hour, int Dow, int Offered, int Answered, int Abandoned)>(
            new CommandDefinition(DistributionSql, Parameters(window), transaction, cancellationToken: ct))).ToList();
        var byHour = Enumerable.Range(0, 24).Select(h => Sum(h, cells.Where(c => c.Hour == h))).ToList();
        var byDay = Enumerable.Range(1, 7).Select(d => Sum(d, cells.Where(c => c.Dow == d))).ToList();
        return (byHour, byDay);
    }

    /// <summary>Every department in scope, those without a single call included (with zeros).</summary>
    public async Task<IReadOnlyList<DepartmentFigures>> DepartmentsAsync(Window window, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        return [.. await connection.QueryAsync<DepartmentFigures>(new CommandDefinition(DepartmentsSql, Parameters(window), transaction, cancellationToken: ct))];
    }

    /// <summary>
    /// Agent time from agent_state_changes: each state lasts until the agent's next change, clipped to the period
    /// (and to now); the state in force when the period starts comes from the last change before it.
    /// </summary>
    public async Task<IReadOnlyList<AgentFigures>> AgentsAsync(Window window, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        return [.. await connection.QueryAsync<AgentFigures>(new CommandDefinition(AgentsSql, Parameters(window), transaction, cancellationToken: ct))];
    }

    /// <summary>Opened, resolved and overdue (due in the period and not resolved by then) per kind and department.</summary>
    public async Task<IReadOnlyList<TicketFigures>> TicketsAsync(Window window, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        return [.. await connection.QueryAsync<TicketFigures>(new CommandDefinition(TicketsSql, Parameters(window), transaction, cancellationToken: ct))];
    }

    /// <summary>Ratings of tickets resolved in the period; the low ones listed, worst and newest first.</summary>
    public async Task<Satisfaction> SatisfactionAsync(Window window, int lowRating, int maxListed, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        var parameters = Parameters(window, new { LowRating = lowRating, MaxListed = maxListed });
        var (average, rated) = await connection.QuerySingleAsync<(double? Average, int Rated)>(new CommandDefinition(SatisfactionSummarySql, parameters, transaction, cancellationToken: ct));
        var low = await connection.QueryAsync<LowRating>(new CommandDefinition(LowRatingsSql, parameters, transaction, cancellationToken: ct));
        return new Satisfaction(average, rated, [.. low]);
    }

    /// <summary>
    /// Per IVR node: calls that passed it, calls that hung up there (abandoned before any queue, the node last in
    /// their path) and IVR timeouts recorded there (call_events of type timeout with data.node, as the IVR's CallHandler writes them).
    /// </summary>
    public async Task<IReadOnlyList<IvrNodeFigures>> IvrNodesAsync(Window window, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        var rows = await connection.QueryAsync<(string Node, int Visits, int Hangups, int Timeouts, string[] ExampleCallers, DateTime[] ExampleTimes)>(
            new CommandDefinition(IvrNodesSql, Parameters(window), transaction, cancellationToken: ct));
        return [.. rows.Select(r => new IvrNodeFigures(r.Node, r.Visits, r.Hangups, r.Timeouts, r.ExampleCallers, r.ExampleTimes))];
    }

    /// <summary>Callers whose call in the period followed another of theirs within <paramref name="days"/> days.</summary>
    public async Task<IReadOnlyList<(string Caller, int RepeatCalls, DateTime LastCall)>> RepeatCallersAsync(Window window, int days, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        return [.. await connection.QueryAsync<(string, int, DateTime)>(new CommandDefinition(RepeatCallersSql, Parameters(window, new { Days = days }), transaction, cancellationToken: ct))];
    }

    /// <summary>The raw call rows for the CSV attachment, oldest first.</summary>
    public async Task<IReadOnlyList<CallRow>> CallRowsAsync(Window window, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        return [.. await connection.QueryAsync<CallRow>(new CommandDefinition(CallRowsSql, Parameters(window, new { Limit = limit }), transaction, cancellationToken: ct))];
    }

    /// <summary>Ticket rows created, resolved or due in the period.</summary>
    public async Task<IReadOnlyList<TicketRow>> TicketRowsAsync(Window window, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        return [.. await connection.QueryAsync<TicketRow>(new CommandDefinition(TicketRowsSql, Parameters(window, new { Limit = limit }), transaction, cancellationToken: ct))];
    }

    public async Task<IReadOnlyList<string>> DepartmentNamesAsync(IReadOnlyList<long> ids, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        return [.. await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT name FROM departments WHERE id = ANY(@Ids) ORDER BY name", new { Ids = ids.ToArray() }, transaction, cancellationToken: ct))];
    }

    private static CallDistribution Sum(int slot, IEnumerable<(int Hour, int Dow, int Offered, int Answered, int Abandoned)> cells)
    {
        var list = cells.ToList();
        return new CallDistribution(slot, list.Sum(c => c.Offered), list.Sum(c => c.Answered), list.Sum(c => c.Abandoned));
    }

    /// <summary>Every statement a report runs, by name.</summary>
    internal static IReadOnlyList<(string Name, string Sql)> Statements { get; } =
    [
        ("call figures", CallFiguresSql), ("hour and weekday distribution", DistributionSql), ("departments", DepartmentsSql),
        ("agents", AgentsSql), ("tickets", TicketsSql), ("satisfaction", SatisfactionSummarySql), ("low ratings", LowRatingsSql),
        ("IVR nodes", IvrNodesSql), ("repeat callers", RepeatCallersSql),
    ];

    /// <summary>The plan PostgreSQL runs <paramref name="sql"/> with for this window, with timings and buffers.</summary>
    internal async Task<string> ExplainAsync(string sql, Window window, CancellationToken ct)
    {
        var defaults = new { ServiceLevelMs = 20_000L, SlaHours = 24, LowRating = 2, MaxListed = 20, Days = 7, Limit = 100_000 };
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await BeginReportAsync(connection, ct);
        var lines = await connection.QueryAsync<string>(new CommandDefinition($"EXPLAIN (ANALYZE, BUFFERS) {sql}", Parameters(window, defaults), transaction, cancellationToken: ct));
        return string.Join('\n', lines);
    }

    /// <summary>
    /// Report statements aggregate up to a year of calls: enough memory to hash and sort without spilling to disk,
    /// and no JIT, whose compilation (about half a second) costs more than it saves on these plans.
    /// </summary>
    private static async Task<NpgsqlTransaction> BeginReportAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off", transaction: transaction, cancellationToken: ct));
        return transaction;
    }

    private static DynamicParameters Parameters(Window window, object? more = null)
    {
        var parameters = new DynamicParameters(more);
        parameters.Add("From", window.From);
        parameters.Add("To", window.To);
        parameters.Add("TimeZone", window.TimeZone);
        parameters.Add("Departments", window.Departments);
        parameters.Add("Now", window.Now);
        return parameters;
    }
}

public sealed record CallRow(long Id, DateTime StartedAt, DateTime? AnsweredAt, DateTime? EndedAt, string Caller, string Outcome,
    string? Department, long? QueueWaitMs, long? TalkMs, string[] IvrPath);

public sealed record TicketRow(long Id, string Kind, string Status, string Priority, string? Department, DateTime CreatedAt,
    DateTime? DueAt, DateTime? ResolvedAt, short? Rating, string Subject);
