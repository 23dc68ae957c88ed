using System.Security.Claims;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Auth;

public sealed record CreateKeyRequest(string? Name, string? Role);

public sealed record KeyView(long Id, string Prefix, string Name, string Role, DateTime CreatedAt, string CreatedBy, DateTime? RevokedAt)
{
    public static KeyView Of(ApiKey key) => new(key.Id, key.Prefix, key.Name, key.Role, key.CreatedAt, key.CreatedBy, key.RevokedAt);
}

/// <summary>The created key; <see cref="Key"/> is shown this once and never again.</summary>
public sealed record CreatedKeyView(long Id, string Prefix, string Name, string Role, DateTime CreatedAt, string Key);

public static class KeysEndpoints
{
    public static void MapKeys(this IEndpointRouteBuilder endpoints)
    {
        var keys = endpoints.MapGroup("/api/keys").WithTags("Keys").RequireRoles(Roles.Admin);
        keys.MapPost("/", CreateAsync);
        keys.MapGet("/", ListAsync);
        keys.MapDelete("/{id:long}", RevokeAsync);
    }

    private static async Task<Results<Created<CreatedKeyView>, ValidationProblem>> CreateAsync(
        CreateKeyRequest request, ApiKeyStore store, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            errors["name"] = ["name is required (at most 200 characters)"];
        }
        if (request.Role is null || !Roles.All.Contains(request.Role))
        {
            errors["role"] = [$"role must be one of {string.Join(", ", Roles.All)}"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var (key, secret) = await store.CreateAsync(request.Name!.Trim(), request.Role!, Actor(http), ProblemSetup.TraceIdOf(http), ct);
        return TypedResults.Created($"/api/keys/{key.Id}", new CreatedKeyView(key.Id, key.Prefix, key.Name, key.Role, key.CreatedAt, secret));
    }

    private static async Task<Results<Ok<Page<KeyView>>, ValidationProblem>> ListAsync(
        ApiKeyStore store, int? limit, int? offset, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var page = PageRequest.From(limit, offset, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var keys = await store.ListAsync(page, ct);
        return TypedResults.Ok(new Page<KeyView>([.. keys.Items.Select(KeyView.Of)], keys.Total, keys.NextOffset));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(long id, ApiKeyStore store, HttpContext http, CancellationToken ct) =>
        await store.RevokeAsync(id, Actor(http), ProblemSetup.TraceIdOf(http), ct)
            ? TypedResults.NoContent()
            : Problems.NotFound($"API key {id}");

    public static string Actor(HttpContext http) => http.User.FindFirstValue(ClaimTypes.Name) ?? "anonymous";
}
