using System.Globalization;
using CityContact.Service.Features.Audit;
using System.Text.Json;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Infrastructure.Http;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace CityContact.Service.Features.Ivr;

public sealed record NewFlowRequest(string? Code, string? Name, JsonElement? Definition);

public sealed record DraftRequest(JsonElement? Definition);

public sealed record RollbackRequest(int? Version);

public sealed record NumberRequest(string? FlowCode);

public sealed record FlowVersionView(long Id, int Version, JsonElement Definition, DateTime CreatedAt, string CreatedBy, DateTime? PublishedAt, string? PublishedBy, bool Live);

public sealed record ValidationReport(bool Valid, IReadOnlyList<FlowError> Errors);

public sealed record LiveNumberView(string Number, string FlowCode, int Version);

/// <summary>
/// Admin REST for flows: drafts, validate, publish (a new immutable version, switched atomically), versions, rollback,
/// and which flow answers which number. Validation errors are reported as <c>nodes.&lt;node&gt;.&lt;field&gt;</c>.
/// </summary>
public static partial class FlowsEndpoints
{
    public static void MapIvr(this IEndpointRouteBuilder endpoints)
    {
        var flows = endpoints.MapGroup("/api/ivr/flows").WithTags("IVR flows").RequireRoles(Roles.Admin);
        flows.MapGet("/", async (FlowStore store, CancellationToken ct) => TypedResults.Ok(Page.All(await store.ListAsync(ct))));
        flows.MapPost("/", CreateAsync);
        flows.MapPost("/{id:long}/drafts", AddDraftAsync);
        flows.MapGet("/{id:long}/versions", VersionsAsync);
        flows.MapPost("/{id:long}/versions/{version:int}/validate", ValidateVersionAsync);
        flows.MapPost("/{id:long}/versions/{version:int}/publish", PublishAsync);
        flows.MapPost("/{id:long}/rollback", RollBackAsync);

        var numbers = endpoints.MapGroup("/api/ivr/numbers").WithTags("IVR flows").RequireRoles(Roles.Admin);
        numbers.MapGet("/", async (FlowStore store, CancellationToken ct) =>
            TypedResults.Ok(Page.All<LiveNumberView>([.. (await store.LiveAsync(ct)).Select(l => new LiveNumberView(l.Number, l.FlowCode, l.Version))])));
        numbers.MapPut("/{number}", SetNumberAsync);
    }

    private static async Task<Results<Created<FlowVersionView>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        NewFlowRequest request, FlowStore store, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Code is null || !CodePattern().IsMatch(request.Code))
        {
            errors["code"] = ["code is required: 1-32 of a-z, 0-9, '-' or '_'"];
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            errors["name"] = ["name is required (at most 200 characters)"];
        }
        if (request.Definition is not { ValueKind: JsonValueKind.Object })
        {
            errors["definition"] = ["definition is required: a JSON object with start and nodes"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        if (await store.FindByCodeAsync(request.Code!, ct) is not null)
        {
            return Problems.Conflict($"A flow with code '{request.Code}' exists.");
        }
        var flow = await store.CreateAsync(request.Code!, request.Name!.Trim(), ct);
        var version = await store.AddDraftAsync(flow.Id, request.Definition!.Value.GetRawText(), KeysEndpoints.Actor(http), ct);
        return TypedResults.Created($"/api/ivr/flows/{flow.Id}/versions", View(version, null));
    }

    private static async Task<Results<Created<FlowVersionView>, ValidationProblem, ProblemHttpResult>> AddDraftAsync(
        long id, DraftRequest request, FlowStore store, HttpContext http, CancellationToken ct)
    {
        if (request.Definition is not { ValueKind: JsonValueKind.Object } definition)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["definition"] = ["definition is required: a JSON object with start and nodes"] });
        }
        if (await store.GetAsync(id, ct) is null)
        {
            return Problems.NotFound($"Flow {id}");
        }
        var version = await store.AddDraftAsync(id, definition.GetRawText(), KeysEndpoints.Actor(http), ct);
        return TypedResults.Created($"/api/ivr/flows/{id}/versions", View(version, null));
    }

    private static async Task<Results<Ok<Page<FlowVersionView>>, ProblemHttpResult>> VersionsAsync(long id, FlowStore store, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is null)
        {
            return Problems.NotFound($"Flow {id}");
        }
        var live = await store.CurrentPublishedAsync(id, ct);
        return TypedResults.Ok(Page.All<FlowVersionView>([.. (await store.VersionsAsync(id, ct)).Select(v => View(v, live?.Id))]));
    }

    private static async Task<Results<Ok<ValidationReport>, ProblemHttpResult>> ValidateVersionAsync(
        long id, int version, FlowStore store, PromptCatalog prompts, IOptions<IvrOptions> ivr, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        if (await store.GetVersionAsync(id, version, ct) is not { } stored)
        {
            return Problems.NotFound($"Version {version} of flow {id}");
        }
        var errors = await ValidateAsync(stored.Definition, prompts, ivr.Value, dataSource, ct);
        return TypedResults.Ok(new ValidationReport(errors.Count == 0, errors));
    }

    private static async Task<Results<Ok<FlowVersionView>, ValidationProblem, ProblemHttpResult>> PublishAsync(
        long id, int version, FlowStore store, FlowCatalog catalog, PromptCatalog prompts, IOptions<IvrOptions> ivr, NpgsqlDataSource dataSource, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (await store.GetVersionAsync(id, version, ct) is not { } stored)
        {
            return Problems.NotFound($"Version {version} of flow {id}");
        }
        if (stored.PublishedAt is not null)
        {
            return Problems.Conflict($"Version {version} is already published; roll back to it instead.");
        }
        var errors = await ValidateAsync(stored.Definition, prompts, ivr.Value, dataSource, ct);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(ErrorsByField(errors), title: "The flow is not valid");
        }
        if (await store.PublishAsync(stored.Id, KeysEndpoints.Actor(http), ct) is not { } published)
        {
            return Problems.Conflict($"Version {version} was published meanwhile.");
        }
        await catalog.RefreshAsync(ct);
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "flow.published", "ivr_flow", id.ToString(CultureInfo.InvariantCulture),
            ProblemSetup.TraceIdOf(http), new { version }), ct);
        return TypedResults.Ok(View(published, published.Id));
    }

    /// <summary>
    /// Makes an earlier published version live again, after the same validation publish runs: the prompts, queues and
    /// schedules it names may have gone since it was published, and a version that cannot play must never go live.
    /// </summary>
    private static async Task<Results<Ok<FlowVersionView>, ValidationProblem, ProblemHttpResult>> RollBackAsync(
        long id, RollbackRequest request, FlowStore store, FlowCatalog catalog, PromptCatalog prompts, IOptions<IvrOptions> ivr, NpgsqlDataSource dataSource,
        AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (request.Version is not { } version)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["version"] = ["version is required"] });
        }
        if (await store.GetVersionAsync(id, version, ct) is not { PublishedAt: not null } target)
        {
            return Problems.NotFound($"Published version {version} of flow {id}");
        }
        var errors = await ValidateAsync(target.Definition, prompts, ivr.Value, dataSource, ct);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(ErrorsByField(errors), title: $"Version {version} is no longer valid: it cannot go live again");
        }
        if (await store.RollBackAsync(id, version, ct) is not { } live)
        {
            return Problems.NotFound($"Published version {version} of flow {id}");
        }
        await catalog.RefreshAsync(ct);
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "flow.rolled_back", "ivr_flow", id.ToString(CultureInfo.InvariantCulture),
            ProblemSetup.TraceIdOf(http), new { version }), ct);
        return TypedResults.Ok(View(live, live.Id));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetNumberAsync(
        string number, NumberRequest request, FlowStore store, FlowCatalog catalog, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        if (!NumberPattern().IsMatch(number))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["number"] = ["a dialed number of 2-20 digits (optionally +), or * for every other number"] });
        }
        if (request.FlowCode is null || await store.FindByCodeAsync(request.FlowCode, ct) is not { } flow)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["flowCode"] = [$"no flow with code '{request.FlowCode}'"] });
        }
        if (await store.CurrentPublishedAsync(flow.Id, ct) is null)
        {
            return Problems.Conflict($"Flow '{flow.Code}' has no published version yet.");
        }
        await store.SetNumberAsync(number, flow.Id, ct);
        await catalog.RefreshAsync(ct);
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "ivr_number.set", "ivr_number", number, ProblemSetup.TraceIdOf(http),
            new { flowCode = flow.Code }), ct);
        return TypedResults.NoContent();
    }

    /// <summary>Validation against the prompts on disk and the queues and schedules in the database.</summary>
    public static async Task<IReadOnlyList<FlowError>> ValidateAsync(string json, PromptCatalog prompts, IvrOptions ivr, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var queues = (await connection.QueryAsync<string>(new CommandDefinition("SELECT code FROM queues", cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
        var schedules = (await connection.QueryAsync<string>(new CommandDefinition("SELECT code FROM schedules", cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
        return FlowValidator.Validate(json, new References(prompts, queues, schedules, ivr)).Errors;
    }

    private static Dictionary<string, string[]> ErrorsByField(IReadOnlyList<FlowError> errors) =>
        errors.GroupBy(e => e.Node == FlowValidator.FlowScope ? e.Field : $"nodes.{e.Node}.{e.Field}")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray());

    private static FlowVersionView View(FlowVersion v, long? liveId) =>
        new(v.Id, v.Version, JsonSerializer.Deserialize<JsonElement>(v.Definition), v.CreatedAt, v.CreatedBy, v.PublishedAt, v.PublishedBy, v.Id == liveId);

    private sealed class References(PromptCatalog prompts, HashSet<string> queues, HashSet<string> schedules, IvrOptions ivr) : IFlowReferences
    {
        public bool ExternalNumberAllowed(string number) => ivr.IsAllowedExternal(number);

        public bool PromptExists(string key, string language) => prompts.Exists(key, language);

        public bool QueueExists(string code) => queues.Contains(code);

        public bool ScheduleExists(string code) => schedules.Contains(code);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"^(\*|\+?[0-9]{2,20})$")]
    private static partial Regex NumberPattern();
}
