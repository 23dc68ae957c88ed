using System.Text.Json;
using CityContact.Service.Features.Auth;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Calls;

public sealed record CallEventView(long Id, DateTime At, string Type, JsonElement Data)
{
    public static CallEventView Of(CallEvent e) => new(e.Id, e.At, e.Type, JsonSerializer.Deserialize<JsonElement>(e.Data));
}

public sealed record CallDetail(Call Call, IReadOnlyList<CallEventView> Timeline);

public static class CallsEndpoints
{
    public static void MapCalls(this IEndpointRouteBuilder endpoints)
    {
        var calls = endpoints.MapGroup("/api/calls").WithTags("Calls").RequireRoles(Roles.Supervisor, Roles.Reporter);
        calls.MapGet("/", ListAsync);
        calls.MapGet("/{id:long}", GetAsync);
    }

    /// <summary>Calls started in [from, to), newest first, filtered by outcome, department code, caller number and direction.</summary>
    private static async Task<Results<Ok<Page<Call>>, ValidationProblem>> ListAsync(
        CallStore store, HttpContext http, DateTimeOffset? from, DateTimeOffset? to, string? outcome, string? department, string? caller, string? direction,
        int? limit, int? offset, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var page = PageRequest.From(limit, offset, errors);
        if (outcome is not null && !CallOutcomes.All.Contains(outcome))
        {
            errors["outcome"] = [$"outcome must be one of {string.Join(", ", CallOutcomes.All)}"];
        }
        if (direction is not null && !CallDirections.All.Contains(direction))
        {
            errors["direction"] = [$"direction must be one of {string.Join(", ", CallDirections.All)}"];
        }
        if (from is not null && to is not null && to <= from)
        {
            errors["to"] = ["to must be after from"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var filter = new CallFilter(from?.UtcDateTime, to?.UtcDateTime, outcome, NullIfBlank(department), NullIfBlank(caller), direction);
        var found = await store.ListAsync(filter, page, ct);
        return TypedResults.Ok(SeesFullNumbers(http) ? found : found with { Items = [.. found.Items.Select(Masked)] });
    }

    private static async Task<Results<Ok<CallDetail>, ProblemHttpResult>> GetAsync(long id, CallStore store, HttpContext http, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is not { } call)
        {
            return Problems.NotFound($"Call {id}");
        }
        var timeline = await store.TimelineAsync(id, ct);
        return TypedResults.Ok(new CallDetail(SeesFullNumbers(http) ? call : Masked(call), [.. timeline.Select(CallEventView.Of)]));
    }

    /// <summary>
    /// Supervisors (and admins) call citizens back and see whole numbers; a reporter studies traffic and gets them
    /// masked, as in the reports' CSV (+4072*****56).
    /// </summary>
    private static bool SeesFullNumbers(HttpContext http) => http.User.IsInRole(Roles.Supervisor) || http.User.IsInRole(Roles.Admin);

    private static Call Masked(Call call) => call with { Caller = Reports.PhoneMask.Mask(call.Caller) };

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
