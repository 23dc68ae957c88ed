using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Auth;
using CityContact.Service.Infrastructure.Http;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace CityContact.Service.Features.Queues;

public sealed record QueueRealtime(
    long Id, string Code, int Waiting, double LongestWaitSeconds, IReadOnlyDictionary<string, int> AgentsByState,
    long AnsweredToday, long AbandonedToday, double? ServiceLevel, double AverageHandleSeconds);

/// <summary>Agents (admin creates, supervisor logs in/out and pauses) and the queues' real-time state (supervisor).</summary>
public static class QueuesEndpoints
{
    public static void MapQueues(this IEndpointRouteBuilder endpoints)
    {
        var agents = endpoints.MapGroup("/api/agents").WithTags("Agents");
        agents.MapGet("/", ListAgentsAsync).RequireRoles(Roles.Admin, Roles.Supervisor);
        // create, change, remove: Features/Agents/AgentsEndpoints.cs; login, logout, pause and unpause (the agent itself too,
        // audited): Features/Desk/DeskEndpoints.cs.
        endpoints.MapGet("/api/queues/realtime", RealtimeAsync).WithTags("Queues").RequireRoles(Roles.Admin, Roles.Supervisor);
    }

    private static async Task<Ok<Page<AgentView>>> ListAgentsAsync(QueueDispatcher dispatcher) => TypedResults.Ok(Page.All(await dispatcher.AgentsAsync()));

    /// <summary>Live figures from the dispatcher; today's answered/abandoned and service level from the calls rows (they survive a restart).</summary>
    private static async Task<Ok<Page<QueueRealtime>>> RealtimeAsync(
        QueueDispatcher dispatcher, NpgsqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        var live = await dispatcher.QueuesAsync();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var today = (await connection.QueryAsync<(long QueueId, long Answered, long Abandoned, long WithinLevel)>(new CommandDefinition("""
            SELECT c.queue_id,
                   count(*) FILTER (WHERE c.outcome = 'answered'),
                   count(*) FILTER (WHERE c.outcome = 'abandoned'),
                   count(*) FILTER (WHERE c.outcome = 'answered' AND c.queue_wait_ms <= q.service_level_seconds * 1000)
            FROM calls c JOIN queues q ON q.id = c.queue_id
            WHERE c.started_at >= @since AND c.queue_id IS NOT NULL AND c.direction = 'inbound'
            GROUP BY c.queue_id
            """, new { since = time.GetUtcNow().UtcDateTime.Date }, cancellationToken: ct))).ToDictionary(r => r.QueueId);
        return TypedResults.Ok(Page.All<QueueRealtime>([.. live.Select(q =>
        {
            var day = today.GetValueOrDefault(q.Id);
            var offered = day.Answered + day.Abandoned;
            return new QueueRealtime(q.Id, q.Code, q.Waiting, q.LongestWaitSeconds, q.AgentsByState, day.Answered, day.Abandoned,
                offered == 0 ? null : (double)day.WithinLevel / offered, q.AverageHandleSeconds);
        })]));
    }
}

public static class QueuesSetup
{
    /// <summary>The dispatcher, the queue handover for the IVR, agent feature codes and endpoint states.</summary>
    public static void AddQueues(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueueOptions>().BindConfiguration(QueueOptions.Section)
            .Validate(o => o.CallbackLeaseSeconds >= 3, "Queues:CallbackLeaseSeconds must be at least 3 (the lease is renewed every third of it)")
            .Validate(o => o.CallbackRetryMinutes > 0, "Queues:CallbackRetryMinutes must be more than 0")
            .Validate(o => o.CallbackMaxAttempts is >= 1 and <= 10, "Queues:CallbackMaxAttempts must be between 1 and 10")
            .ValidateOnStart();
        builder.Services.AddSingleton<AgentStateLog>();
        builder.Services.AddHostedService(s => s.GetRequiredService<AgentStateLog>());
        builder.Services.AddSingleton<QueueCallLog>();
        builder.Services.AddHostedService(s => s.GetRequiredService<QueueCallLog>());
        builder.Services.AddSingleton<QueueDispatcher>();
        builder.Services.AddHostedService(s => s.GetRequiredService<QueueDispatcher>());
        builder.Services.AddKeyedSingleton<ICallHandover, QueueHandover>("queue");
        builder.Services.AddSingleton<CallbackStore>();
        builder.Services.AddSingleton<ICallbackScheduler, QueueCallbackScheduler>();
        builder.Services.AddSingleton<IStasisListener, AgentFeatureCodes>();
        // Callbacks fire from Quartz (registered by AddScheduling, so its scheduler stops after the runner gives requests back).
        builder.Services.AddSingleton<CallbackTriggers>();
        builder.Services.AddTransient<CallbackJob>();
        builder.Services.AddSingleton<CallbackRunner>();
        builder.Services.AddSingleton<IStasisListener>(s => s.GetRequiredService<CallbackRunner>());
        builder.Services.AddHostedService(s => s.GetRequiredService<CallbackRunner>());
        builder.Services.AddHostedService<AgentPhoneWatch>();
        builder.Services.AddSingleton<SimulatorAgents>();
    }
}
