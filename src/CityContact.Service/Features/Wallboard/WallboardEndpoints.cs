using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Queues;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Wallboard;

/// <summary>The supervisor wallboard (docs/live-api.md): the board now, and its stream. Neither reads the database.</summary>
public static class WallboardEndpoints
{
    public static void MapWallboard(this IEndpointRouteBuilder endpoints)
    {
        var board = endpoints.MapGroup("/api/wallboard").WithTags("Wallboard").RequireRoles(Roles.Supervisor);
        board.MapGet("/", GetBoard).Produces<Board>();
        board.MapGet("/stream", (HttpContext http, LiveFloor floor, IOptions<WallboardOptions> options) =>
            floor.Board.StreamAsync(http, TimeSpan.FromSeconds(options.Value.KeepAliveSeconds)))
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
    }

    private static Results<FileContentHttpResult, ProblemHttpResult> GetBoard(LiveFloor floor) =>
        floor.Board.LatestJson is { } json
            ? TypedResults.Bytes(json, "application/json")
            : TypedResults.Problem(title: "The wallboard is starting", statusCode: StatusCodes.Status503ServiceUnavailable);
}

public static class WallboardSetup
{
    /// <summary>The live floor (fed by the dispatcher) and its options, validated at start-up.</summary>
    public static void AddWallboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WallboardOptions>().BindConfiguration(WallboardOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WallboardOptions>, WallboardOptionsValidator>();
        builder.Services.AddSingleton<WallboardStore>();
        builder.Services.AddSingleton<LiveFloor>();
        builder.Services.AddSingleton<IDispatcherObserver>(s => s.GetRequiredService<LiveFloor>());
        builder.Services.AddHostedService(s => s.GetRequiredService<LiveFloor>());
    }
}
