using System.Diagnostics;
using System.Globalization;
using System.Text;
using CityContact.Service.Features.Reports;
using CityContact.Service.Infrastructure.Configuration;
using CityContact.Service.Infrastructure.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CityContact.Benchmarks.Reports;

/// <summary>
/// A year of a busy city (1,000,000 calls, 100,000 tickets, 146,000 agent state changes, 20,000 IVR timeouts) in a
/// throwaway database; times each report (figures from PostgreSQL, then charts and HTML) and writes the query plans
/// of the monthly and yearly city reports to bench/report-plans.md. Targets: monthly &lt; 1 s, yearly &lt; 5 s.
/// The server is CITYCONTACT_BENCH_DB when set, otherwise a cluster started here with scripts/pg.sh.
/// </summary>
public sealed class ReportQueryMeasurement : IScenarioMeasurement
{
    private const int Calls = 1_000_000;
    private const int Tickets = 100_000;
    private const int Runs = 3;
    private static readonly TimeZoneInfo Bucharest = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");

    public string Title => "Reports on a year of a busy city (1,000,000 calls, 100,000 tickets)";

    public async Task<IReadOnlyList<MeasuredFigure>> RunAsync(CancellationToken cancellationToken)
    {
        var root = Repository.Root();
        await using var postgres = await PostgresForBench.StartAsync(cancellationToken);
        var server = postgres.ConnectionString;
        var database = $"cc_bench_reports_{Environment.ProcessId}";
        try
        {
            await using (var admin = NpgsqlDataSource.Create(server))
            {
                await admin.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync(cancellationToken);
            }
            var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database, CommandTimeout = 600 }.ConnectionString;
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            DapperConventions.Apply();
            await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(cancellationToken);

            var figures = new List<MeasuredFigure>();
            var seeding = Stopwatch.StartNew();
            await SeedAsync(dataSource, cancellationToken);
            figures.Add(new MeasuredFigure("seeding (generate_series, then VACUUM ANALYZE)", seeding.Elapsed.TotalSeconds, "s"));

            var queries = new ReportQueries(dataSource);
            var city = Options.Create(new CityOptions { TimeZone = "Europe/Bucharest", Culture = "ro-RO", DefaultLanguage = "ro" });
            var reportOptions = Options.Create(new ReportOptions());
            var builder = new ReportBuilder(queries, reportOptions, city, TimeProvider.System);
            var renderer = new ReportRenderer(new ReportTemplates(reportOptions), city, reportOptions, TimeProvider.System);
            var day = new DateOnly(2025, 6, 11);
            var department = new ReportScope([7]);
            (string Name, ReportKind Kind, ReportScope Scope, double TargetSeconds)[] reports =
            [
                ("daily, city", ReportKind.Daily, ReportScope.City, 1), ("daily, one department", ReportKind.Daily, department, 1),
                ("weekly, city", ReportKind.Weekly, ReportScope.City, 1), ("weekly, one department", ReportKind.Weekly, department, 1),
                ("monthly, city", ReportKind.Monthly, ReportScope.City, 1), ("monthly, one department", ReportKind.Monthly, department, 1),
                ("yearly, city", ReportKind.Yearly, ReportScope.City, 5), ("yearly, one department", ReportKind.Yearly, department, 5),
            ];
            foreach (var (name, kind, scope, target) in reports)
            {
                var period = ReportPeriod.Containing(kind, day, Bucharest);
                var queryTimes = new List<double>();
                var totalTimes = new List<double>();
                ReportData? data = null;
                for (var run = 0; run <= Runs; run++)
                {
                    var clock = Stopwatch.StartNew();
                    data = await builder.BuildAsync(period, scope, cancellationToken);
                    var queried = clock.Elapsed.TotalMilliseconds;
                    await renderer.RenderAsync(data, null, ImageEmbedding.ContentId, [], false, 0, cancellationToken);
                    if (run > 0)
                    {
                        // Run 0 warms the caches and the JIT.
                        queryTimes.Add(queried);
                        totalTimes.Add(clock.Elapsed.TotalMilliseconds);
                    }
                }
                var total = Median(totalTimes);
                figures.Add(new MeasuredFigure($"{name}: queries", Median(queryTimes), "ms", $"{data!.Calls.Offered:N0} calls"));
                figures.Add(new MeasuredFigure($"{name}: queries + charts + HTML", total, "ms",
                    total <= target * 1000 ? $"target < {target} s met" : $"target < {target} s MISSED"));
            }

            await WritePlansAsync(queries, builder, root, day, cancellationToken);
            return figures;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using (var admin = NpgsqlDataSource.Create(server))
            {
                await admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)").ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Calls spread over 2025 (Bucharest time) and stored in time order, 70 % answered, 12 % abandoned, the rest self-service, voicemail,
    /// callback or failed; 300,000 distinct callers so that repeat callers exist; three IVR paths.
    /// </summary>
    private static async Task SeedAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        string[] statements =
        [
            "INSERT INTO departments (code, name) SELECT 'd' || g, 'Direcția ' || g FROM generate_series(1, 20) g",
            "INSERT INTO queues (code, name, department_id, skill) SELECT 'q' || id, 'Coada ' || id, id, 'q' || id FROM departments ORDER BY id",
            "INSERT INTO agents (name, sip_endpoint, department_id) SELECT 'Operator ' || g, 'PJSIP/' || (1000 + g), 1 + (g % 20) FROM generate_series(1, 100) g",
            $"""
            INSERT INTO calls (channel_id, caller, dialed_number, language, started_at, answered_at, ended_at, outcome,
                               department_id, queue_id, agent_id, queue_wait_ms, talk_ms, ivr_path)
            SELECT 'bench-' || g, '07' || lpad(caller::text, 8, '0'), '0800', 'ro', started,
                   CASE WHEN outcome = 'answered' THEN started + wait END,
                   started + wait + CASE WHEN outcome = 'answered' THEN talk ELSE interval '30 seconds' END,
                   outcome, dept,
                   CASE WHEN outcome IN ('answered', 'abandoned') THEN dept END,
                   CASE WHEN outcome = 'answered' THEN 1 + (g % 100) END,
                   CASE WHEN outcome IN ('answered', 'abandoned') THEN (extract(epoch FROM wait) * 1000)::bigint END,
                   CASE WHEN outcome = 'answered' THEN (extract(epoch FROM talk) * 1000)::bigint END,
                   CASE g % 3 WHEN 0 THEN ARRAY['main'] WHEN 1 THEN ARRAY['main', 'taxes'] ELSE ARRAY['main', 'info', 'operator'] END
            FROM (
                SELECT g,
                       timestamptz '2024-12-31 22:00:00+00' + random() * interval '365 days' AS started,
                       (random() * 300000)::int AS caller,
                       1 + (random() * 19)::int AS dept,
                       random() * interval '3 minutes' AS wait,
                       interval '20 seconds' + random() * interval '10 minutes' AS talk,
                       CASE WHEN r < 0.70 THEN 'answered' WHEN r < 0.82 THEN 'abandoned' WHEN r < 0.90 THEN 'self-service'
                            WHEN r < 0.94 THEN 'voicemail' WHEN r < 0.98 THEN 'callback' ELSE 'failed' END AS outcome
                FROM (SELECT g, random() AS r FROM generate_series(1, {Calls}) g) numbered
            ) generated
            -- In the order they happen, as the service writes them: a month's calls sit together on disk.
            ORDER BY started
            """,
            "INSERT INTO call_events (call_id, at, type, data) SELECT id, started_at + interval '10 seconds', 'timeout', jsonb_build_object('node', ivr_path[cardinality(ivr_path)]) FROM calls WHERE id % 50 = 0",
            $"""
            INSERT INTO tickets (kind, status, subject, department_id, call_id, due_at, resolved_at, rating, created_at)
            SELECT kind, CASE WHEN resolved THEN 'resolved' ELSE 'new' END, 'Solicitare ' || g, 1 + (g % 20),
                   CASE WHEN kind = 'callback' THEN 1 + (g * 7919) % {Calls} END,
                   created + interval '3 days',
                   CASE WHEN resolved THEN created + random() * interval '6 days' END,
                   CASE WHEN resolved AND g % 2 = 0 THEN 1 + (g % 5) END,
                   created
            FROM (
                SELECT g, (ARRAY['request', 'complaint', 'information', 'callback'])[1 + g % 4] AS kind,
                       timestamptz '2024-12-31 22:00:00+00' + random() * interval '365 days' AS created,
                       random() < 0.8 AS resolved
                FROM generate_series(1, {Tickets}) g
            ) generated
            ORDER BY created
            """,
            """
            INSERT INTO agent_state_changes (agent_id, at, state)
            SELECT a.id, (d + shift.at) AT TIME ZONE 'Europe/Bucharest', shift.state
            FROM agents a
            CROSS JOIN generate_series(date '2025-01-01', date '2025-12-31', interval '1 day') d
            CROSS JOIN (VALUES (interval '8 hours', 'available'), (interval '12 hours', 'paused'),
                               (interval '12 hours 30 minutes', 'available'), (interval '17 hours', 'logged_out')) AS shift(at, state)
            """,
        ];
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 900 };
            await command.ExecuteNonQueryAsync(ct);
        }
        await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE", connection) { CommandTimeout = 900 };
        await vacuum.ExecuteNonQueryAsync(ct);
    }

    private static async Task WritePlansAsync(ReportQueries queries, ReportBuilder builder, string root, DateOnly day, CancellationToken ct)
    {
        var text = new StringBuilder();
        text.AppendLine("# Report query plans");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"`EXPLAIN (ANALYZE, BUFFERS)` of every statement of the monthly and yearly city reports on the benchmark's data ({Calls:N0} calls, {Tickets:N0} tickets), " +
            $"PostgreSQL on {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}. Written by `make bench` (ReportQueryMeasurement).");
        foreach (var kind in new[] { ReportKind.Monthly, ReportKind.Yearly })
        {
            var window = builder.WindowOf(ReportPeriod.Containing(kind, day, Bucharest), ReportScope.City);
            foreach (var (name, sql) in ReportQueries.Statements)
            {
                text.AppendLine();
                text.AppendLine(CultureInfo.InvariantCulture, $"## {kind}, city: {name}");
                text.AppendLine();
                text.AppendLine("```");
                text.AppendLine(await queries.ExplainAsync(sql, window, ct));
                text.AppendLine("```");
            }
        }
        await File.WriteAllTextAsync(Path.Combine(root, "bench", "report-plans.md"), text.ToString(), ct);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
