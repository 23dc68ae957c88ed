using System.Globalization;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Tickets;

public sealed record CategoryRequest(
    string? Code, string? Name, string? Description, long? DepartmentId, int? SlaBusinessHours, string[]? Keywords, string? Group, bool? Active);

/// <summary>Ticket categories (the Open311 services): agents and supervisors read them, admins edit them; every write is audited.</summary>
public static partial class CategoriesEndpoints
{
    public static void MapTicketCategories(this IEndpointRouteBuilder endpoints)
    {
        var categories = endpoints.MapGroup("/api/ticket-categories").WithTags("Tickets");
        categories.MapGet("/", ListAsync).RequireRoles(Roles.Agent, Roles.Supervisor);
        categories.MapGet("/{id:long}", GetAsync).RequireRoles(Roles.Agent, Roles.Supervisor);
        categories.MapPost("/", CreateAsync).RequireRoles(Roles.Admin);
        categories.MapPut("/{id:long}", UpdateAsync).RequireRoles(Roles.Admin);
        categories.MapDelete("/{id:long}", DeleteAsync).RequireRoles(Roles.Admin);
    }

    private static async Task<Results<Ok<Page<TicketCategory>>, ValidationProblem>> ListAsync(CategoryStore store, int? limit, int? offset, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var page = PageRequest.From(limit, offset, errors);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await store.ListAsync(page, ct));
    }

    private static async Task<Results<Ok<TicketCategory>, ProblemHttpResult>> GetAsync(long id, CategoryStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } category ? TypedResults.Ok(category) : Problems.NotFound($"Ticket category {id}");

    private static async Task<Results<Created<TicketCategory>, ValidationProblem>> CreateAsync(
        CategoryRequest request, CategoryStore store, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var category = await store.CreateAsync(Fields(request), ct);
        await audit.AppendAsync(AuditOf(http, "ticket_category.created", category.Id, category), ct);
        return TypedResults.Created($"/api/ticket-categories/{category.Id}", category);
    }

    private static async Task<Results<Ok<TicketCategory>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        long id, CategoryRequest request, CategoryStore store, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }
        if (await store.UpdateAsync(id, Fields(request), ct) is not { } category)
        {
            return Problems.NotFound($"Ticket category {id}");
        }
        await audit.AppendAsync(AuditOf(http, "ticket_category.updated", id, category), ct);
        return TypedResults.Ok(category);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(long id, CategoryStore store, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (!await store.DeleteAsync(id, ct))
        {
            return Problems.NotFound($"Ticket category {id}");
        }
        await audit.AppendAsync(AuditOf(http, "ticket_category.deleted", id, null), ct);
        return TypedResults.NoContent();
    }

    private static Dictionary<string, string[]> Validate(CategoryRequest request)
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
        if (request.Description?.Length > 2000)
        {
            errors["description"] = ["description is at most 2000 characters"];
        }
        if (request.DepartmentId is null or < 1)
        {
            errors["departmentId"] = ["departmentId is required"];
        }
        if (request.SlaBusinessHours is null or < 1 or > 10000)
        {
            errors["slaBusinessHours"] = ["slaBusinessHours is required: whole business hours from 1 to 10000"];
        }
        if (request.Keywords?.Any(k => string.IsNullOrWhiteSpace(k) || k.Contains(',', StringComparison.Ordinal) || k.Length > 100) == true)
        {
            errors["keywords"] = ["keywords are non-empty words without commas (at most 100 characters each)"];
        }
        if (request.Group is not null && (string.IsNullOrWhiteSpace(request.Group) || request.Group.Length > 200))
        {
            errors["group"] = ["group is at most 200 characters"];
        }
        return errors;
    }

    private static CategoryFields Fields(CategoryRequest r) =>
        new(r.Code!, r.Name!.Trim(), r.Description?.Trim() ?? "", r.DepartmentId!.Value, r.SlaBusinessHours!.Value,
            [.. (r.Keywords ?? []).Select(k => k.Trim())], r.Group?.Trim(), r.Active ?? true);

    private static AuditEntry AuditOf(HttpContext http, string action, long id, TicketCategory? category) =>
        new(KeysEndpoints.Actor(http), action, "ticket_category", id.ToString(CultureInfo.InvariantCulture), ProblemSetup.TraceIdOf(http),
            category is null ? null : new { category.Code, category.Name, category.DepartmentId, category.SlaBusinessHours, category.Active });

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex CodePattern();
}
