using System.Globalization;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Infrastructure.Configuration;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Quartz;

namespace CityContact.Service.Features.Reports;

public sealed record ReportScheduleRequest(string? Name, string? Kind, string? Cron, string? TimeZone, string[]? Recipients,
    long[]? DepartmentIds, string? Language, bool? Enabled);

/// <summary>Send a report now: the period containing <c>Date</c> (default: the last complete one).</summary>
public sealed record ReportSendRequest(string? Kind, DateOnly? Date, long[]? DepartmentIds, string[]? Recipients, string? Language);

/// <summary>/api/reports: schedules (admin), send now and runs (reporter), a report as HTML or CSV (reporter).</summary>
public static partial class ReportsEndpoints
{
    private static readonly string[] ScheduleKinds = ["daily", "weekly", "monthly"];
    private static readonly string[] ReportKinds = ["daily", "weekly", "monthly", "yearly"];

    public static void MapReports(this IEndpointRouteBuilder endpoints)
    {
        var reports = endpoints.MapGroup("/api/reports").WithTags("Reports");
        var schedules = reports.MapGroup("/schedules").RequireRoles(Roles.Admin);
        schedules.MapGet("/", ListSchedulesAsync);
        schedules.MapGet("/{id:long}", GetScheduleAsync);
        schedules.MapPost("/", CreateScheduleAsync);
        schedules.MapPut("/{id:long}", UpdateScheduleAsync);
        schedules.MapDelete("/{id:long}", DeleteScheduleAsync);
        reports.MapPost("/schedules/{id:long}/send", SendScheduleNowAsync).RequireRoles(Roles.Reporter);
        reports.MapPost("/send", SendNowAsync).RequireRoles(Roles.Reporter);
        reports.MapGet("/runs", ListRunsAsync).RequireRoles(Roles.Reporter);
        reports.MapGet("/{kind}", GetReportAsync).RequireRoles(Roles.Reporter);
    }

    private static async Task<Ok<Page<ReportSchedule>>> ListSchedulesAsync(ReportScheduleStore store, CancellationToken ct)
    {
        var items = await store.ListAsync(ct);
        return TypedResults.Ok(new Page<ReportSchedule>(items, items.Count, null));
    }

    private static async Task<Results<Ok<ReportSchedule>, ProblemHttpResult>> GetScheduleAsync(long id, ReportScheduleStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } schedule ? TypedResults.Ok(schedule) : Problems.NotFound($"Report schedule {id}");

    private static async Task<Results<Created<ReportSchedule>, ValidationProblem>> CreateScheduleAsync(
        ReportScheduleRequest request, ReportScheduleStore store, ReportSchedules quartz, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (await ValidateAsync(request, store, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var schedule = await store.CreateAsync(Fields(request), ct);
        try
        {
            await quartz.ApplyAsync(schedule, ct);
        }
        catch (SchedulerException e)
        {
            // Never a stored, enabled schedule without its trigger: the row goes again and the cron is named.
            await store.DeleteAsync(schedule.Id, ct);
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["cron"] = [$"the scheduler refused it: {e.Message}"] });
        }
        await audit.AppendAsync(AuditOf(http, "report_schedule.created", schedule), ct);
        return TypedResults.Created($"/api/reports/schedules/{schedule.Id}", schedule);
    }

    private static async Task<Results<Ok<ReportSchedule>, ValidationProblem, ProblemHttpResult>> UpdateScheduleAsync(
        long id, ReportScheduleRequest request, ReportScheduleStore store, ReportSchedules quartz, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (await ValidateAsync(request, store, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        if (await store.UpdateAsync(id, Fields(request), ct) is not { } schedule)
        {
            return Problems.NotFound($"Report schedule {id}");
        }
        await quartz.ApplyAsync(schedule, ct);
        await audit.AppendAsync(AuditOf(http, "report_schedule.updated", schedule), ct);
        return TypedResults.Ok(schedule);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteScheduleAsync(
        long id, ReportScheduleStore store, ReportSchedules quartz, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (!await store.DeleteAsync(id, ct))
        {
            return Problems.NotFound($"Report schedule {id}");
        }
        await quartz.RemoveAsync(id, ct);
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "report_schedule.deleted", "report_schedule",
            id.ToString(CultureInfo.InvariantCulture), ProblemSetup.TraceIdOf(http)), ct);
        return TypedResults.NoContent();
    }

    /// <summary>Runs a schedule's report now for its last complete period (a manual run: it does not block the scheduled one).</summary>
    private static async Task<Results<Ok<ReportRun>, ProblemHttpResult>> SendScheduleNowAsync(
        long id, ReportScheduleStore store, ReportDelivery delivery, IOptions<CityOptions> city, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } schedule)
        {
            return Problems.NotFound($"Report schedule {id}");
        }
        var zone = TimeZoneInfo.FindSystemTimeZoneById(city.Value.TimeZone);
        var period = ReportPeriod.LastCompleteBefore(ReportSchedules.KindOf(schedule.Kind), clock.GetUtcNow(), zone);
        var run = await delivery.SendAsync(new ReportRequest(period, new ReportScope(schedule.DepartmentIds), schedule.Recipients, schedule.Language,
            schedule.Id, ReportTriggers.Manual, KeysEndpoints.Actor(http)), ct);
        return TypedResults.Ok(run!);
    }

    private static async Task<Results<Ok<ReportRun>, ValidationProblem>> SendNowAsync(
        ReportSendRequest request, ReportScheduleStore store, ReportDelivery delivery, IOptions<CityOptions> city, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Kind is null || !ReportKinds.Contains(request.Kind))
        {
            errors["kind"] = [$"kind must be one of {string.Join(", ", ReportKinds)}"];
        }
        ValidateRecipients(request.Recipients, errors);
        ValidateLanguage(request.Language, errors);
        ValidateDate(request.Date, "date", errors);
        await ValidateDepartmentsAsync(request.DepartmentIds, store, errors, ct);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var period = PeriodOf(ReportSchedules.KindOf(request.Kind!), request.Date, city.Value, clock);
        var run = await delivery.SendAsync(new ReportRequest(period, new ReportScope(request.DepartmentIds ?? []), request.Recipients!, request.Language,
            null, ReportTriggers.Manual, KeysEndpoints.Actor(http)), ct);
        return TypedResults.Ok(run!);
    }

    private static async Task<Results<Ok<Page<ReportRun>>, ValidationProblem>> ListRunsAsync(
        ReportRunStore runs, long? scheduleId, int? limit, int? offset, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var page = PageRequest.From(limit, offset, errors);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await runs.ListAsync(scheduleId, page, ct));
    }

    /// <summary>
    /// The report for the period of <paramref name="kind"/> containing <paramref name="date"/> (default: the last complete one):
    /// <c>format=html</c> (default, charts inline as data: URIs) or <c>format=csv</c> with <c>rows=calls|tickets</c>.
    /// </summary>
    private static async Task<Results<ContentHttpResult, FileContentHttpResult, ValidationProblem>> GetReportAsync(
        string kind, DateOnly? date, string? departments, string? format, string? rows, string? language,
        ReportScheduleStore store, ReportDelivery delivery, IOptions<CityOptions> city, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!ReportKinds.Contains(kind))
        {
            errors["kind"] = [$"kind must be one of {string.Join(", ", ReportKinds)}"];
        }
        if (format is not (null or "html" or "csv"))
        {
            errors["format"] = ["format must be html or csv"];
        }
        if (rows is not (null or "calls" or "tickets"))
        {
            errors["rows"] = ["rows must be calls or tickets"];
        }
        var departmentIds = ParseIds(departments, errors);
        ValidateLanguage(language, errors);
        ValidateDate(date, "date", errors);
        await ValidateDepartmentsAsync(departmentIds, store, errors, ct);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var period = PeriodOf(ReportSchedules.KindOf(kind), date, city.Value, clock);
        var scope = new ReportScope(departmentIds ?? []);
        if (format == "csv")
        {
            var (attachments, _) = await delivery.AttachmentsAsync(period, scope, ct);
            var file = attachments.First(a => a.FileName == $"{rows ?? "calls"}.csv");
            return TypedResults.File(file.Content, file.MediaType, file.FileName);
        }
        var rendered = await delivery.RenderAsync(period, scope, language, ImageEmbedding.DataUri, ct);
        return TypedResults.Content(rendered.Html, "text/html; charset=utf-8");
    }

    private static ReportPeriod PeriodOf(ReportKind kind, DateOnly? date, CityOptions city, TimeProvider clock)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(city.TimeZone);
        return date is { } day ? ReportPeriod.Containing(kind, day, zone) : ReportPeriod.LastCompleteBefore(kind, clock.GetUtcNow(), zone);
    }

    private static long[]? ParseIds(string? text, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var ids = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                errors["departments"] = ["departments must be a comma-separated list of department ids"];
                return null;
            }
            ids.Add(id);
        }
        return [.. ids];
    }

    private static async Task<Dictionary<string, string[]>> ValidateAsync(ReportScheduleRequest request, ReportScheduleStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 200)
        {
            errors["name"] = ["name is required (at most 200 characters)"];
        }
        if (request.Kind is null || !ScheduleKinds.Contains(request.Kind))
        {
            errors["kind"] = [$"kind must be one of {string.Join(", ", ScheduleKinds)}"];
        }
        if (string.IsNullOrWhiteSpace(request.TimeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(request.TimeZone, out var zone) || !zone.HasIanaId)
        {
            errors["timeZone"] = ["timeZone must be an IANA time zone id, e.g. Europe/Bucharest"];
        }
        if (string.IsNullOrWhiteSpace(request.Cron) || request.Cron.Length > 200 || !CronExpression.TryParse(request.Cron, out _))
        {
            errors["cron"] = ["cron must be a Quartz cron expression with seconds, e.g. '0 0 7 * * ?' (every day at 07:00)"];
        }
        // Parsable is not enough: '0 0 8 30 2 ?' (30 February) never fires, and Quartz refuses a trigger that never
        // fires only after the schedule is stored.
        else if (new CronExpression(request.Cron).GetNextValidTimeAfter(DateTimeOffset.UtcNow) is null)
        {
            errors["cron"] = ["cron never fires (no such date, e.g. 30 February): choose a schedule that does"];
        }
        ValidateRecipients(request.Recipients, errors);
        ValidateLanguage(request.Language, errors);
        await ValidateDepartmentsAsync(request.DepartmentIds, store, errors, ct);
        return errors;
    }

    private static void ValidateRecipients(string[]? recipients, Dictionary<string, string[]> errors)
    {
        if (recipients is null || recipients.Length is 0 or > 50)
        {
            errors["recipients"] = ["recipients must list 1 to 50 e-mail addresses"];
            return;
        }
        // 254 is the longest address SMTP carries (RFC 5321); a 1 MB "address" was stored.
        var bad = recipients.Where(r => string.IsNullOrWhiteSpace(r) || r.Length > 254 || !EmailPattern().IsMatch(r) || !System.Net.Mail.MailAddress.TryCreate(r, out _)).ToList();
        if (bad.Count > 0)
        {
            errors["recipients"] = [.. bad.Select(r => $"'{(r?.Length > 60 ? r[..60] + "…" : r)}' is not an e-mail address")];
        }
    }

    /// <summary>Reports cover 2000–2100: a period around 9999-12-31 does not exist (its end overflowed into a 500).</summary>
    private static void ValidateDate(DateOnly? date, string field, Dictionary<string, string[]> errors)
    {
        if (date is { Year: < 2000 or > 2100 })
        {
            errors[field] = [$"{field} must be between 2000-01-01 and 2100-12-31"];
        }
    }

    private static void ValidateLanguage(string? language, Dictionary<string, string[]> errors)
    {
        if (language is not null && !LanguagePattern().IsMatch(language))
        {
            errors["language"] = ["language must be a language code such as ro or en"];
        }
    }

    private static async Task ValidateDepartmentsAsync(long[]? ids, ReportScheduleStore store, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (ids is { Length: > 0 } && await store.UnknownDepartmentsAsync(ids, ct) is { Count: > 0 } unknown)
        {
            errors["departmentIds"] = [$"unknown department id(s): {string.Join(", ", unknown)}"];
        }
    }

    private static ReportScheduleFields Fields(ReportScheduleRequest request) =>
        new(request.Name!.Trim(), request.Kind!, request.Cron!.Trim(), request.TimeZone!, [.. request.Recipients!.Select(r => r.Trim())],
            [.. (request.DepartmentIds ?? []).Distinct()], request.Language, request.Enabled ?? true);

    private static AuditEntry AuditOf(HttpContext http, string action, ReportSchedule schedule) =>
        new(KeysEndpoints.Actor(http), action, "report_schedule", schedule.Id.ToString(CultureInfo.InvariantCulture), ProblemSetup.TraceIdOf(http),
            new { schedule.Name, schedule.Kind, schedule.Cron, schedule.TimeZone, schedule.Recipients, schedule.DepartmentIds, schedule.Enabled });

    // MailAddress also accepts display-name forms ("Ana <a@b>"); a recipient list wants bare addresses.
    [GeneratedRegex(@"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex("^[a-z]{2,3}$")]
    private static partial Regex LanguagePattern();
}
