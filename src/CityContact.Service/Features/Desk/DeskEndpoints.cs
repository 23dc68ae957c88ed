using System.Globalization;
using System.Security.Claims;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Wallboard;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Desk;

public sealed record PauseRequest(string? Reason);

public sealed record WrapUpCodeRequest(string? Code);

/// <summary>
/// The agent desk (docs/live-api.md): the agent's snapshot and stream, and the agent actions. The <c>agent</c> role
/// acts only on its own id (claim <see cref="AgentIdClaim"/>); supervisors and admins on any agent.
/// </summary>
public static partial class DeskEndpoints
{
    public const string AgentIdClaim = "agent_id";

    public static void MapDesk(this IEndpointRouteBuilder endpoints)
    {
        var agents = endpoints.MapGroup("/api/agents/{id:long}").WithTags("Agent desk").RequireRoles(Roles.Agent, Roles.Supervisor);
        agents.MapGet("/desk", GetDesk).Produces<Wallboard.Desk>();
        agents.MapGet("/desk/stream", StreamAsync).Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        agents.MapGet("/worklist", WorklistAsync);
        agents.MapPost("/login", (long id, HttpContext http, AgentActions actions, CancellationToken ct) => ActAsync(id, AgentAction.Login, null, http, actions, ct));
        agents.MapPost("/logout", (long id, HttpContext http, AgentActions actions, CancellationToken ct) => ActAsync(id, AgentAction.Logout, null, http, actions, ct));
        agents.MapPost("/unpause", (long id, HttpContext http, AgentActions actions, CancellationToken ct) => ActAsync(id, AgentAction.Unpause, null, http, actions, ct));
        agents.MapPost("/pause", PauseAsync);
        agents.MapPost("/wrapup", SetWrapUpCodeAsync);
        agents.MapPost("/wrapup/end", EndWrapUpAsync);
    }

    /// <summary>403 unless the principal is a supervisor or admin, or the agent <paramref name="agentId"/> itself.</summary>
    public static ProblemHttpResult? Refuse(HttpContext http, long agentId)
    {
        var user = http.User;
        if (user.IsInRole(Roles.Admin) || user.IsInRole(Roles.Supervisor)
            || (user.IsInRole(Roles.Agent) && user.FindFirstValue(AgentIdClaim) == agentId.ToString(CultureInfo.InvariantCulture)))
        {
            return null;
        }
        return TypedResults.Problem(title: "Forbidden", detail: $"Only agent {agentId} itself, a supervisor or an admin may do this.",
            statusCode: StatusCodes.Status403Forbidden);
    }

    /// <summary>The desk as of every change told so far (an agent created a moment ago included).</summary>
    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetDesk(long id, HttpContext http, LiveFloor floor)
    {
        if (Refuse(http, id) is { } refused)
        {
            return refused;
        }
        http.Response.Headers.CacheControl = "no-store";
        return await floor.DeskNowAsync(id) is { } json ? TypedResults.Bytes(json, "application/json") : Problems.NotFound($"Agent {id}");
    }

    private static async Task<IResult> StreamAsync(long id, HttpContext http, LiveFloor floor, IOptions<WallboardOptions> options)
    {
        if (Refuse(http, id) is { } refused)
        {
            return refused;
        }
        if (await floor.DeskNowAsync(id) is null)
        {
            return Problems.NotFound($"Agent {id}");
        }
        await floor.DeskOf(id).StreamAsync(http, TimeSpan.FromSeconds(options.Value.KeepAliveSeconds));
        return TypedResults.Empty;
    }

    private static async Task<Results<Ok<Worklist>, ProblemHttpResult>> WorklistAsync(
        long id, HttpContext http, LiveFloor floor, WorklistReader worklists, CancellationToken ct)
    {
        if (Refuse(http, id) is { } refused)
        {
            return refused;
        }
        if (await floor.DeskNowAsync(id) is null)
        {
            return Problems.NotFound($"Agent {id}");
        }
        return TypedResults.Ok(await worklists.ReadAsync(id, ct));
    }

    private static async Task<Results<Ok<AgentView>, ValidationProblem, ProblemHttpResult>> PauseAsync(
        long id, PauseRequest? request, HttpContext http, AgentActions actions, CancellationToken ct)
    {
        var reason = request?.Reason ?? PauseReasons.Break;
        if (!PauseReasons.Chosen.Contains(reason))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["reason"] = [$"reason must be one of {string.Join(", ", PauseReasons.Chosen)}"],
            });
        }
        return await ActAsync(id, AgentAction.Pause, reason, http, actions, ct);
    }

    private static async Task<Results<Ok<AgentView>, ValidationProblem, ProblemHttpResult>> ActAsync(
        long id, AgentAction action, string? reason, HttpContext http, AgentActions actions, CancellationToken ct)
    {
        if (Refuse(http, id) is { } refused)
        {
            return refused;
        }
        return await actions.ActAsync(id, action, reason, KeysEndpoints.Actor(http), ct) is { } view
            ? TypedResults.Ok(view)
            : Problems.NotFound($"Agent {id}");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex WrapUpCode();

    private static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> SetWrapUpCodeAsync(
        long id, WrapUpCodeRequest? request, HttpContext http, AgentActions actions, LiveFloor floor, CancellationToken ct)
    {
        if (Refuse(http, id) is { } refused)
        {
            return refused;
        }
        if (request?.Code is not { } code || !WrapUpCode().IsMatch(code))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["code"] = ["code is required: 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"],
            });
        }
        if (await floor.DeskNowAsync(id) is null)
        {
            return Problems.NotFound($"Agent {id}");
        }
        if (await actions.SetWrapUpCodeAsync(id, code, KeysEndpoints.Actor(http), ct) == WrapUpCodeResult.NoCall)
        {
            return Problems.Conflict($"Agent {id} has no call on the desk (ringing, talking or in wrap-up) to give a wrap-up code.");
        }
        return await DeskAfterAsync(id, floor);
    }

    private static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> EndWrapUpAsync(
        long id, HttpContext http, AgentActions actions, LiveFloor floor, CancellationToken ct)
    {
        if (Refuse(http, id) is { } refused)
        {
            return refused;
        }
        if (await floor.DeskNowAsync(id) is null)
        {
            return Problems.NotFound($"Agent {id}");
        }
        if (!await actions.EndWrapUpAsync(id, KeysEndpoints.Actor(http), ct))
        {
            return Problems.Conflict($"Agent {id} is not in wrap-up.");
        }
        return await DeskAfterAsync(id, floor);
    }

    /// <summary>The desk once the floor has applied what was just done (it answers after every earlier change).</summary>
    private static async Task<FileContentHttpResult> DeskAfterAsync(long id, LiveFloor floor) =>
        TypedResults.Bytes((await floor.DeskNowAsync(id))!, "application/json");
}

public static class DeskSetup
{
    public static void AddDesk(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<WrapUpStore>();
        builder.Services.AddSingleton<CitizenHistoryReader>();
        builder.Services.AddSingleton<WorklistReader>();
        builder.Services.AddSingleton<AgentActions>();
    }
}
