using System.Globalization;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Departments;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Queues;

/// <summary>A queue as the admin writes it; the limits default as for the seeded queues.</summary>
public sealed record QueueRequest(string? Code, string? Name, long? DepartmentId, string? Skill, int? MaxWaitSeconds, int? MaxCallers, int? ServiceLevelSeconds);

/// <summary>
/// Queues over the API (a new department needs one before a flow can send callers to it): list, read, create,
/// change and remove, each change audited. A queue a live flow sends callers to cannot be removed or renamed.
/// </summary>
public static partial class QueueAdminEndpoints
{
    public static void MapQueueAdmin(this IEndpointRouteBuilder endpoints)
    {
        var queues = endpoints.MapGroup("/api/queues").WithTags("Queues");
        queues.MapGet("/", ListAsync).RequireRoles(Roles.Admin, Roles.Supervisor).WithSummary("Every queue");
        queues.MapGet("/{id:long}", GetAsync).RequireRoles(Roles.Admin, Roles.Supervisor).WithSummary("One queue");
        queues.MapPost("/", CreateAsync).RequireRoles(Roles.Admin).WithSummary("Create a queue for a department");
        queues.MapPut("/{id:long}", UpdateAsync).RequireRoles(Roles.Admin).WithSummary("Change a queue");
        queues.MapDelete("/{id:long}", DeleteAsync).RequireRoles(Roles.Admin).WithSummary("Remove a queue no live flow uses and no call names");
    }

    private static async Task<Ok<Page<Queue>>> ListAsync(QueueStore store, CancellationToken ct) => TypedResults.Ok(Page.All(await store.ListAsync(ct)));

    private static async Task<Results<Ok<Queue>, ProblemHttpResult>> GetAsync(long id, QueueStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } queue ? TypedResults.Ok(queue) : Problems.NotFound($"Queue {id}");

    private static async Task<Results<Created<Queue>, ValidationProblem>> CreateAsync(
        QueueRequest request, QueueStore store, DepartmentStore departments, QueueDispatcher dispatcher, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (await ValidateAsync(request, departments, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var queue = await store.CreateAsync(Fields(request), ct);
        await audit.AppendAsync(AuditOf(http, "queue.created", queue), ct);
        await dispatcher.ReloadAgentsAsync(ct);
        return TypedResults.Created($"/api/queues/{queue.Id}", queue);
    }

    private static async Task<Results<Ok<Queue>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        long id, QueueRequest request, QueueStore store, DepartmentStore departments, FlowStore flows, QueueDispatcher dispatcher, AuditLog audit,
        HttpContext http, CancellationToken ct)
    {
        if (await ValidateAsync(request, departments, ct) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        if (await store.GetAsync(id, ct) is not { } existing)
        {
            return Problems.NotFound($"Queue {id}");
        }
        if (existing.Code != request.Code && await LiveUsersAsync(existing.Code, flows, ct) is { Count: > 0 } users)
        {
            return Problems.Conflict($"Queue '{existing.Code}' is used by {string.Join(", ", users)}: publish a version without it before renaming it.");
        }
        var queue = (await store.UpdateAsync(id, Fields(request), ct))!;
        await audit.AppendAsync(AuditOf(http, "queue.updated", queue), ct);
        await dispatcher.ReloadAgentsAsync(ct);
        return TypedResults.Ok(queue);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        long id, QueueStore store, FlowStore flows, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } queue)
        {
            return Problems.NotFound($"Queue {id}");
        }
        if (await LiveUsersAsync(queue.Code, flows, ct) is { Count: > 0 } users)
        {
            return Problems.Conflict($"Queue '{queue.Code}' is used by {string.Join(", ", users)}: publish a version without it first.");
        }
        await store.DeleteAsync(id, ct);
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "queue.deleted", "queue", id.ToString(CultureInfo.InvariantCulture),
            ProblemSetup.TraceIdOf(http), new { queue.Code }), ct);
        return TypedResults.NoContent();
    }

    /// <summary>The live flow versions that send callers (or voicemail) to the queue.</summary>
    private static async Task<List<string>> LiveUsersAsync(string code, FlowStore flows, CancellationToken ct) =>
        [.. (await flows.LiveVersionsAsync(ct))
            .Where(v => FlowDefinition.Parse(v.Definition).Nodes.Values.Any(n => n.Queue == code))
            .Select(v => $"flow {v.FlowId} version {v.Version}")];

    private static async Task<Dictionary<string, string[]>> ValidateAsync(QueueRequest request, DepartmentStore departments, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Code is null || !CodePattern().IsMatch(request.Code))
        {
            errors["code"] = ["code is required: 1-32 of a-z, 0-9, '-' or '_' (flows name queues by it)"];
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 200)
        {
            errors["name"] = ["name is required (at most 200 characters)"];
        }
        if (request.DepartmentId is not { } departmentId)
        {
            errors["departmentId"] = ["departmentId is required"];
        }
        else if (await departments.GetAsync(departmentId, ct) is null)
        {
            errors["departmentId"] = [$"no department with id {departmentId}"];
        }
        if (request.Skill is not null && !CodePattern().IsMatch(request.Skill))
        {
            errors["skill"] = ["skill: 1-32 of a-z, 0-9, '-' or '_' (default: the code)"];
        }
        if (request.MaxWaitSeconds is < 10 or > 86400)
        {
            errors["maxWaitSeconds"] = ["maxWaitSeconds is 10 to 86400"];
        }
        if (request.MaxCallers is < 1 or > 10000)
        {
            errors["maxCallers"] = ["maxCallers is 1 to 10000"];
        }
        if (request.ServiceLevelSeconds is < 1 or > 3600)
        {
            errors["serviceLevelSeconds"] = ["serviceLevelSeconds is 1 to 3600"];
        }
        return errors;
    }

    private static NewQueue Fields(QueueRequest r) =>
        new(r.Code!, r.Name!.Trim(), r.DepartmentId!.Value, r.Skill ?? r.Code!, r.MaxWaitSeconds ?? 600, r.MaxCallers ?? 50, r.ServiceLevelSeconds ?? 60);

    private static AuditEntry AuditOf(HttpContext http, string action, Queue queue) =>
        new(KeysEndpoints.Actor(http), action, "queue", queue.Id.ToString(CultureInfo.InvariantCulture), ProblemSetup.TraceIdOf(http), queue);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex CodePattern();
}
