using System.Text.RegularExpressions;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Departments;

public sealed record DepartmentRequest(string? Code, string? Name, string? Email);

/// <summary>The schedule whose business hours the department's SLA deadlines count (null: the city-hall schedule).</summary>
public sealed record DepartmentScheduleRequest(long? ScheduleId);

/// <summary>The model for later resources: any role reads, admin writes, every write audited.</summary>
public static partial class DepartmentsEndpoints
{
    public static void MapDepartments(this IEndpointRouteBuilder endpoints)
    {
        var departments = endpoints.MapGroup("/api/departments").WithTags("Departments");
        departments.MapGet("/", ListAsync).RequireRoles(Roles.Supervisor, Roles.Agent, Roles.Reporter);
        departments.MapGet("/{id:long}", GetAsync).RequireRoles(Roles.Supervisor, Roles.Agent, Roles.Reporter);
        departments.MapPost("/", CreateAsync).RequireRoles(Roles.Admin);
        departments.MapPut("/{id:long}", UpdateAsync).RequireRoles(Roles.Admin);
        departments.MapDelete("/{id:long}", DeleteAsync).RequireRoles(Roles.Admin);
        departments.MapPut("/{id:long}/schedule", SetScheduleAsync).RequireRoles(Roles.Admin)
            .WithSummary("Set the schedule (business hours) a department's SLA deadlines count in");
    }

    private static async Task<Results<Ok<Page<Department>>, ValidationProblem>> ListAsync(
        DepartmentStore store, string? search, int? limit, int? offset, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var page = PageRequest.From(limit, offset, errors);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : TypedResults.Ok(await store.ListAsync(string.IsNullOrWhiteSpace(search) ? null : search.Trim(), page, ct));
    }

    private static async Task<Results<Ok<Department>, ProblemHttpResult>> GetAsync(long id, DepartmentStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } department ? TypedResults.Ok(department) : Problems.NotFound($"Department {id}");

    private static async Task<Results<Created<Department>, ValidationProblem>> CreateAsync(
        DepartmentRequest request, DepartmentStore store, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var department = await store.CreateAsync(Fields(request), ct);
        await audit.AppendAsync(AuditOf(http, "department.created", department), ct);
        return TypedResults.Created($"/api/departments/{department.Id}", department);
    }

    private static async Task<Results<Ok<Department>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        long id, DepartmentRequest request, DepartmentStore store, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        if (await store.UpdateAsync(id, Fields(request), ct) is not { } department)
        {
            return Problems.NotFound($"Department {id}");
        }
        await audit.AppendAsync(AuditOf(http, "department.updated", department), ct);
        return TypedResults.Ok(department);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        long id, DepartmentStore store, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (!await store.DeleteAsync(id, ct))
        {
            return Problems.NotFound($"Department {id}");
        }
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "department.deleted", "department", id.ToString(System.Globalization.CultureInfo.InvariantCulture), ProblemSetup.TraceIdOf(http)), ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<Department>, ValidationProblem, ProblemHttpResult>> SetScheduleAsync(
        long id, DepartmentScheduleRequest request, DepartmentStore store, Schedules.ScheduleStore schedules, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (request.ScheduleId is { } scheduleId && await schedules.GetAsync(scheduleId, ct) is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["scheduleId"] = [$"no schedule with id {scheduleId}"] });
        }
        if (await store.SetScheduleAsync(id, request.ScheduleId, ct) is not { } department)
        {
            return Problems.NotFound($"Department {id}");
        }
        await audit.AppendAsync(AuditOf(http, "department.schedule_set", department), ct);
        return TypedResults.Ok(department);
    }

    private static Dictionary<string, string[]> Validate(DepartmentRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Code is null || !CodePattern().IsMatch(request.Code))
        {
            errors["code"] = ["code is required: 1-32 of a-z, 0-9, '-' or '_', starting with a letter or digit"];
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 200)
        {
            errors["name"] = ["name is required (at most 200 characters)"];
        }
        // A bare address only: MailAddress also accepts "Name <a@b>", which the database's check refuses.
        if (!string.IsNullOrWhiteSpace(request.Email)
            && !(System.Net.Mail.MailAddress.TryCreate(request.Email.Trim(), out var email) && email.Address == request.Email.Trim()))
        {
            errors["email"] = ["email is not an email address"];
        }
        return errors;
    }

    private static DepartmentFields Fields(DepartmentRequest request) =>
        new(request.Code!, request.Name!.Trim(), string.IsNullOrWhiteSpace(request.Email) ? null : request.Email.Trim());

    private static AuditEntry AuditOf(HttpContext http, string action, Department department) =>
        new(KeysEndpoints.Actor(http), action, "department", department.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ProblemSetup.TraceIdOf(http), new { department.Code, department.Name });

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex CodePattern();
}
