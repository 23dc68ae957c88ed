using CityContact.Service.Infrastructure.Http;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Reports;

/// <summary>A stored report schedule. A class with setters because Dapper binds bigint[] columns through properties only.</summary>
public sealed record ReportSchedule
{
    public long Id { get; init; }
    public string Name { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Cron { get; init; } = "";
    public string TimeZone { get; init; } = "";
    public string[] Recipients { get; init; } = [];
    public long[] DepartmentIds { get; init; } = [];
    public string? Language { get; init; }
    public bool Enabled { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

public sealed record ReportScheduleFields(string Name, string Kind, string Cron, string TimeZone, string[] Recipients, long[] DepartmentIds, string? Language, bool Enabled);

public sealed class ReportScheduleStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, name, kind, cron, time_zone, recipients, department_ids, language, enabled, created_at, updated_at";

    public async Task<IReadOnlyList<ReportSchedule>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<ReportSchedule>(new CommandDefinition($"SELECT {Columns} FROM report_schedules ORDER BY id", cancellationToken: ct))];
    }

    public async Task<ReportSchedule?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ReportSchedule>(new CommandDefinition(
            $"SELECT {Columns} FROM report_schedules WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<ReportSchedule> CreateAsync(ReportScheduleFields fields, CancellationToken ct)
    {
        const string sql = $"""
            INSERT INTO report_schedules (name, kind, cron, time_zone, recipients, department_ids, language, enabled)
            VALUES (@Name, @Kind, @Cron, @TimeZone, @Recipients, @DepartmentIds, @Language, @Enabled)
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<ReportSchedule>(new CommandDefinition(sql, fields, cancellationToken: ct));
    }

    public async Task<ReportSchedule?> UpdateAsync(long id, ReportScheduleFields fields, CancellationToken ct)
    {
        const string sql = $"""
            UPDATE report_schedules
            SET name = @Name, kind = @Kind, cron = @Cron, time_zone = @TimeZone, recipients = @Recipients,
                department_ids = @DepartmentIds, language = @Language, enabled = @Enabled, updated_at = now()
            WHERE id = @Id
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ReportSchedule>(new CommandDefinition(sql,
            new { Id = id, fields.Name, fields.Kind, fields.Cron, fields.TimeZone, fields.Recipients, fields.DepartmentIds, fields.Language, fields.Enabled },
            cancellationToken: ct));
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM report_schedules WHERE id = @id", new { id }, cancellationToken: ct)) == 1;
    }

    public async Task<IReadOnlyList<long>> UnknownDepartmentsAsync(long[] ids, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT u.id FROM unnest(@ids::bigint[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM departments d WHERE d.id = u.id)", new { ids }, cancellationToken: ct))];
    }
}

/// <summary>The record of one report run: when, what, to whom, and whether it was delivered.</summary>
public sealed record ReportRun
{
    public long Id { get; init; }
    public long? ScheduleId { get; init; }
    public string Kind { get; init; } = "";
    public string Trigger { get; init; } = "";
    public DateTime PeriodFrom { get; init; }
    public DateTime PeriodTo { get; init; }
    public long[] DepartmentIds { get; init; } = [];
    public string[] Recipients { get; init; } = [];
    public string RequestedBy { get; init; } = "";
    public DateTime StartedAt { get; init; }
    public DateTime? FinishedAt { get; init; }
    public string Status { get; init; } = "";
    public int Attempts { get; init; }
    public string? Error { get; init; }
}

public sealed record NewReportRun(long? ScheduleId, string Kind, string Trigger, DateTime PeriodFrom, DateTime PeriodTo,
    long[] DepartmentIds, string[] Recipients, string RequestedBy);

public sealed class ReportRunStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, schedule_id, kind, trigger, period_from, period_to, department_ids, recipients, requested_by, started_at, finished_at, status, attempts, error";

    /// <summary>Records the start of a run; null when this schedule already ran for this period (by any instance).</summary>
    public async Task<ReportRun?> StartAsync(NewReportRun run, CancellationToken ct)
    {
        const string sql = $"""
            INSERT INTO report_runs (schedule_id, kind, trigger, period_from, period_to, department_ids, recipients, requested_by)
            VALUES (@ScheduleId, @Kind, @Trigger, @PeriodFrom, @PeriodTo, @DepartmentIds, @Recipients, @RequestedBy)
            ON CONFLICT (schedule_id, period_from) WHERE trigger = 'schedule' DO NOTHING
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ReportRun>(new CommandDefinition(sql, run, cancellationToken: ct));
    }

    public async Task<ReportRun> FinishAsync(long id, bool sent, int attempts, string? error, CancellationToken ct)
    {
        const string sql = $"""
            UPDATE report_runs SET finished_at = now(), status = @Status, attempts = @Attempts, error = @Error
            WHERE id = @Id
            RETURNING {Columns}
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<ReportRun>(new CommandDefinition(sql,
            new { Id = id, Status = sent ? "sent" : "failed", Attempts = attempts, Error = error }, cancellationToken: ct));
    }

    public async Task<Page<ReportRun>> ListAsync(long? scheduleId, PageRequest page, CancellationToken ct)
    {
        const string filter = "WHERE @ScheduleId::bigint IS NULL OR schedule_id = @ScheduleId";
        const string sql = $"""
            SELECT {Columns} FROM report_runs {filter}
            ORDER BY started_at DESC, id DESC
            LIMIT @Limit OFFSET @Offset
            """;
        var parameters = new { ScheduleId = scheduleId, page.Limit, page.Offset };
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var items = await connection.QueryAsync<ReportRun>(new CommandDefinition(sql, parameters, cancellationToken: ct));
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT count(*) FROM report_runs {filter}", parameters, cancellationToken: ct));
        return Page.Of([.. items], total, page);
    }
}
