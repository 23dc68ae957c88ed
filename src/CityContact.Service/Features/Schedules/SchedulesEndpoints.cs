using System.Globalization;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Schedules;

public sealed record HoursRequest(int? DayOfWeek, string? Opens, string? Closes);

public sealed record HolidayRequest(string? Day, string? Name, string? Opens, string? Closes);

/// <summary>A schedule as admins write it: times as "HH:mm" local to <see cref="TimeZone"/> (an IANA id), days as "yyyy-MM-dd".</summary>
public sealed record ScheduleRequest(string? Code, string? Name, string? TimeZone, IReadOnlyList<HoursRequest>? Hours, IReadOnlyList<HolidayRequest>? Holidays);

public sealed record ScheduleSummary(long Id, string Code, string Name);

/// <summary>Admin REST for business-hours schedules and their holidays; every change reaches the IVR at once.</summary>
public static partial class SchedulesEndpoints
{
    private static readonly string[] TimeFormats = ["HH:mm", "HH:mm:ss"];

    public static void MapSchedules(this IEndpointRouteBuilder endpoints)
    {
        var schedules = endpoints.MapGroup("/api/ivr/schedules").WithTags("IVR schedules").RequireRoles(Roles.Admin);
        schedules.MapGet("/", async (ScheduleStore store, CancellationToken ct) =>
            TypedResults.Ok(Page.All<ScheduleSummary>([.. (await store.ListAsync(ct)).Select(s => new ScheduleSummary(s.Id, s.Code, s.Name))])));
        schedules.MapGet("/{id:long}", GetAsync);
        schedules.MapPost("/", CreateAsync);
        schedules.MapPut("/{id:long}", UpdateAsync);
        schedules.MapDelete("/{id:long}", DeleteAsync);
    }

    private static async Task<Results<Ok<Schedule>, ProblemHttpResult>> GetAsync(long id, ScheduleStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } schedule ? TypedResults.Ok(schedule) : Problems.NotFound($"Schedule {id}");

    private static async Task<Results<Created<Schedule>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        ScheduleRequest request, ScheduleStore store, FlowCatalog catalog, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (!TryRead(request, out var schedule, out var errors))
        {
            return TypedResults.ValidationProblem(errors);
        }
        if (await store.FindIdAsync(schedule.Code, ct) is not null)
        {
            return Problems.Conflict($"A schedule with code '{schedule.Code}' exists.");
        }
        var id = await store.CreateAsync(schedule, ct);
        await catalog.RefreshAsync(ct);
        await audit.AppendAsync(AuditOf(http, "schedule.created", id, schedule), ct);
        return TypedResults.Created($"/api/ivr/schedules/{id}", await store.GetAsync(id, ct));
    }

    private static async Task<Results<Ok<Schedule>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        long id, ScheduleRequest request, ScheduleStore store, FlowStore flows, FlowCatalog catalog, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (!TryRead(request, out var schedule, out var errors))
        {
            return TypedResults.ValidationProblem(errors);
        }
        if (await store.GetAsync(id, ct) is not { } existing)
        {
            return Problems.NotFound($"Schedule {id}");
        }
        if (existing.Code != schedule.Code && await UsedByAsync(existing.Code, flows, ct) is { } user)
        {
            return Problems.Conflict($"Schedule '{existing.Code}' is read by {user}; its code cannot change.");
        }
        await store.UpdateAsync(id, schedule, ct);
        await catalog.RefreshAsync(ct);
        // Hours and holidays are part of the schedule: the row carries the whole new version.
        await audit.AppendAsync(AuditOf(http, "schedule.updated", id, schedule), ct);
        return TypedResults.Ok((await store.GetAsync(id, ct))!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        long id, ScheduleStore store, FlowStore flows, FlowCatalog catalog, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } existing)
        {
            return Problems.NotFound($"Schedule {id}");
        }
        if (await UsedByAsync(existing.Code, flows, ct) is { } user)
        {
            return Problems.Conflict($"Schedule '{existing.Code}' is read by {user}.");
        }
        await store.DeleteAsync(id, ct);
        await catalog.RefreshAsync(ct);
        await audit.AppendAsync(AuditOf(http, "schedule.deleted", id, new { existing.Code }), ct);
        return TypedResults.NoContent();
    }

    private static AuditEntry AuditOf(HttpContext http, string action, long id, object data) =>
        new(KeysEndpoints.Actor(http), action, "schedule", id.ToString(CultureInfo.InvariantCulture), ProblemSetup.TraceIdOf(http), data);

    private static async Task<string?> UsedByAsync(string code, FlowStore flows, CancellationToken ct)
    {
        foreach (var version in await flows.LiveVersionsAsync(ct))
        {
            if (FlowDefinition.Parse(version.Definition).ScheduleCodes().Contains(code))
            {
                return $"the published version {version.Version} of flow {version.FlowId}";
            }
        }
        return null;
    }

    /// <summary>Reads and checks the request; each error is keyed by its JSON field (<c>hours[2].closes</c>).</summary>
    public static bool TryRead(ScheduleRequest request, out NewSchedule schedule, out Dictionary<string, string[]> errors)
    {
        var found = new Dictionary<string, string[]>();
        void Error(string field, string message) => found[field] = [message];

        if (request.Code is null || !CodePattern().IsMatch(request.Code))
        {
            Error("code", "code is required: 1-32 of a-z, 0-9, '-' or '_'");
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 200)
        {
            Error("name", "name is required (at most 200 characters)");
        }
        if (string.IsNullOrWhiteSpace(request.TimeZone)
            || !TimeZoneInfo.TryFindSystemTimeZoneById(request.TimeZone, out var zone)
            || !zone.HasIanaId
            || request.TimeZone.Length > 64)
        {
            Error("timeZone", $"'{request.TimeZone}' is not an IANA time zone id (e.g. Europe/Bucharest)");
        }

        var hours = new List<OpeningHours>();
        for (var i = 0; i < (request.Hours?.Count ?? 0); i++)
        {
            var h = request.Hours![i];
            var field = $"hours[{i}]";
            if (h is null)
            {
                Error(field, "an entry is required");
                continue;
            }
            if (h.DayOfWeek is not (>= 1 and <= 7))
            {
                Error($"{field}.dayOfWeek", "an ISO day of week: 1 (Monday) to 7 (Sunday)");
            }
            var opens = Time(h.Opens, $"{field}.opens", Error);
            var closes = Time(h.Closes, $"{field}.closes", Error);
            if (opens is { } o && closes is { } c && h.DayOfWeek is >= 1 and <= 7)
            {
                if (o >= c)
                {
                    Error($"{field}.closes", "closes must be after opens");
                }
                else if (hours.Any(other => other.DayOfWeek == h.DayOfWeek && other.Opens < c && o < other.Closes))
                {
                    Error(field, "overlaps other opening hours of the same day");
                }
                else
                {
                    hours.Add(new OpeningHours(h.DayOfWeek.Value, o, c));
                }
            }
        }

        var holidays = new List<Holiday>();
        for (var i = 0; i < (request.Holidays?.Count ?? 0); i++)
        {
            var h = request.Holidays![i];
            var field = $"holidays[{i}]";
            if (h is null)
            {
                Error(field, "an entry is required");
                continue;
            }
            DateOnly? day = DateOnly.TryParseExact(h.Day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed : null;
            if (day is null)
            {
                Error($"{field}.day", "a date as yyyy-MM-dd");
            }
            else if (holidays.Any(other => other.Day == day))
            {
                Error($"{field}.day", "another holiday is on the same day");
            }
            if (string.IsNullOrWhiteSpace(h.Name) || h.Name.Trim().Length > 200)
            {
                Error($"{field}.name", "name is required (at most 200 characters)");
            }
            if ((h.Opens is null) != (h.Closes is null))
            {
                Error(h.Opens is null ? $"{field}.opens" : $"{field}.closes", "opens and closes go together: both for shortened hours, neither for closed all day");
                continue;
            }
            TimeOnly? opens = null, closes = null;
            if (h.Opens is not null)
            {
                opens = Time(h.Opens, $"{field}.opens", Error);
                closes = Time(h.Closes, $"{field}.closes", Error);
                if (opens is { } o && closes is { } c && o >= c)
                {
                    Error($"{field}.closes", "closes must be after opens");
                }
            }
            if (day is { } d && !string.IsNullOrWhiteSpace(h.Name))
            {
                holidays.Add(new Holiday(d, h.Name.Trim(), opens, closes));
            }
        }

        errors = found;
        schedule = new NewSchedule(request.Code ?? "", request.Name?.Trim() ?? "", request.TimeZone ?? "", hours, holidays);
        return found.Count == 0;
    }

    private static TimeOnly? Time(string? value, string field, Action<string, string> error)
    {
        if (TimeOnly.TryParseExact(value, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }
        error(field, "a local time as HH:mm");
        return null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex CodePattern();
}
