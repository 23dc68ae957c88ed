using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Infrastructure.Http;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Rest;
using CityContact.Service.Infrastructure.Telephony;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace CityContact.Service.Features.Quality;

public sealed record RecordingPolicyRequest(string? Policy, decimal? Share);

public sealed record RecordingPolicy(long QueueId, string Policy, decimal Share);

public sealed record MonitorRequest(long? AgentId, string? SupervisorEndpoint, string? Mode);

public sealed record MonitorModeRequest(string? Mode);

/// <summary>Recording policies per queue (admin), recordings listed and downloaded by supervisors, each listen audited.</summary>
public static partial class QualityEndpoints
{
    public static void AddQuality(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CallRecordings>();
        builder.Services.AddSingleton<IStasisListener>(s => s.GetRequiredService<CallRecordings>());
        builder.Services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<RetentionSweep>();
        builder.Services.AddTransient<RetentionJob>();
        builder.Services.AddHostedService<RetentionSchedule>();
        builder.Services.AddSingleton<SupervisorMonitor>();
        builder.Services.AddSingleton<IStasisListener>(s => s.GetRequiredService<SupervisorMonitor>());
    }

    public static void MapQuality(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapReviews();
        endpoints.MapPut("/api/quality/queues/{id:long}/recording", SetPolicyAsync).WithTags("Quality").RequireRoles(Roles.Admin);
        var recordings = endpoints.MapGroup("/api/recordings").WithTags("Quality");
        recordings.MapGet("/", ListAsync).RequireRoles(Roles.Supervisor);
        recordings.MapGet("/{id:long}/file", DownloadAsync).RequireRoles(Roles.Supervisor)
            .Produces(StatusCodes.Status200OK, contentType: "audio/wav");

        endpoints.MapPut("/api/retention/holds/{ticketId:long}", (long ticketId, NpgsqlDataSource db, HttpContext http, CancellationToken ct) =>
            HoldAsync(ticketId, true, db, http, ct)).WithTags("Quality").RequireRoles(Roles.Supervisor);
        endpoints.MapDelete("/api/retention/holds/{ticketId:long}", (long ticketId, NpgsqlDataSource db, HttpContext http, CancellationToken ct) =>
            HoldAsync(ticketId, false, db, http, ct)).WithTags("Quality").RequireRoles(Roles.Supervisor);

        var monitoring = endpoints.MapGroup("/api/monitoring").WithTags("Quality");
        monitoring.MapPost("/", StartMonitorAsync).RequireRoles(Roles.Supervisor);
        monitoring.MapGet("/{id}", (string id, SupervisorMonitor monitor) =>
            monitor.Get(id) is { } view ? (Results<Ok<MonitorView>, ProblemHttpResult>)TypedResults.Ok(view) : Problems.NotFound($"Monitor session {id}")).RequireRoles(Roles.Supervisor);
        monitoring.MapPut("/{id}", SwitchMonitorAsync).RequireRoles(Roles.Supervisor);
        monitoring.MapDelete("/{id}", async (string id, SupervisorMonitor monitor) =>
            await monitor.StopAsync(id) ? (Results<NoContent, ProblemHttpResult>)TypedResults.NoContent() : Problems.NotFound($"Monitor session {id}")).RequireRoles(Roles.Supervisor);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^PJSIP/[A-Za-z0-9_.\-]{1,64}$")]
    private static partial System.Text.RegularExpressions.Regex PhonePattern();

    /// <summary>A ticket under dispute holds the recordings of its call and its voicemail past their retention period.</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> HoldAsync(long ticketId, bool hold, NpgsqlDataSource dataSource, HttpContext http, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await connection.ExecuteAsync(new CommandDefinition("UPDATE tickets SET hold_recordings = @hold WHERE id = @ticketId",
            new { hold, ticketId }, transaction, cancellationToken: ct)) == 0)
        {
            return Problems.NotFound($"Ticket {ticketId}");
        }
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(KeysEndpoints.Actor(http), hold ? "retention.hold" : "retention.release", "ticket",
            ticketId.ToString(System.Globalization.CultureInfo.InvariantCulture), http.TraceIdentifier), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Created<MonitorView>, ValidationProblem, ProblemHttpResult>> StartMonitorAsync(
        MonitorRequest request, SupervisorMonitor monitor, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.AgentId is null)
        {
            errors["agentId"] = ["required"];
        }
        if (request.SupervisorEndpoint is null || !PhonePattern().IsMatch(request.SupervisorEndpoint))
        {
            errors["supervisorEndpoint"] = ["the supervisor's deskphone, such as PJSIP/103"];
        }
        if (!MonitorModes.IsKnown(request.Mode))
        {
            errors["mode"] = ["one of listen, whisper, barge"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var (session, refusal) = await monitor.StartAsync(request.AgentId!.Value, request.SupervisorEndpoint!, request.Mode!, KeysEndpoints.Actor(http), ct);
        return refusal switch
        {
            MonitorRefusal.None => TypedResults.Created($"/api/monitoring/{session!.Id}", session),
            MonitorRefusal.UnknownAgent => Problems.NotFound($"Agent {request.AgentId}"),
            _ => Problems.Conflict($"Agent {request.AgentId} is not in a conversation."),
        };
    }

    private static async Task<Results<Ok<MonitorView>, ValidationProblem, ProblemHttpResult>> SwitchMonitorAsync(
        string id, MonitorModeRequest request, SupervisorMonitor monitor, HttpContext http, CancellationToken ct)
    {
        if (!MonitorModes.IsKnown(request.Mode))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["mode"] = ["one of listen, whisper, barge"] });
        }
        return await monitor.SwitchAsync(id, request.Mode!, KeysEndpoints.Actor(http), ct) is { } view ? TypedResults.Ok(view) : Problems.NotFound($"Monitor session {id}");
    }

    private static async Task<Results<Ok<RecordingPolicy>, ValidationProblem, ProblemHttpResult>> SetPolicyAsync(
        long id, RecordingPolicyRequest request, NpgsqlDataSource dataSource, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Policy is not (RecordingPolicies.Off or RecordingPolicies.All or RecordingPolicies.Sample))
        {
            errors["policy"] = ["one of off, all, sample"];
        }
        var share = request.Policy == RecordingPolicies.Sample ? request.Share : request.Policy == RecordingPolicies.All ? 1m : 0m;
        if (request.Policy == RecordingPolicies.Sample && share is not (> 0 and <= 1))
        {
            errors["share"] = ["the share of calls recorded, more than 0 and at most 1 (0.1 = one call in ten)"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE queues SET recording_policy = @Policy, recording_share = @share, updated_at = now() WHERE id = @id",
            new { request.Policy, share, id }, transaction, cancellationToken: ct));
        if (updated == 0)
        {
            return Problems.NotFound($"Queue {id}");
        }
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(KeysEndpoints.Actor(http), "queue.recording-policy", "queue",
            id.ToString(System.Globalization.CultureInfo.InvariantCulture), http.TraceIdentifier, new { request.Policy, share }), ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Ok(new RecordingPolicy(id, request.Policy!, share!.Value));
    }

    private static async Task<Ok<IReadOnlyList<CallRecording>>> ListAsync(string? channelId, long? agentId, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return TypedResults.Ok<IReadOnlyList<CallRecording>>([.. await connection.QueryAsync<CallRecording>(new CommandDefinition("""
            SELECT id, channel_id, name, queue_id, agent_id, started_at, ended_at, deleted_at FROM call_recordings
            WHERE (@channelId::text IS NULL OR channel_id = @channelId) AND (@agentId::bigint IS NULL OR agent_id = @agentId)
            ORDER BY started_at DESC LIMIT 500
            """, new { channelId, agentId }, cancellationToken: ct))]);
    }

    /// <summary>The file, read from Asterisk over ARI; the listen is audited before a byte is sent.</summary>
    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadAsync(
        long id, NpgsqlDataSource dataSource, AsteriskConnection asterisk, AuditLog audit, HttpContext http, CancellationToken ct)
    {
        CallRecording? recording;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            recording = await connection.QuerySingleOrDefaultAsync<CallRecording>(new CommandDefinition("""
                SELECT id, channel_id, name, queue_id, agent_id, started_at, ended_at, deleted_at FROM call_recordings WHERE id = @id
                """, new { id }, cancellationToken: ct));
        }
        if (recording is null || recording.DeletedAt is not null)
        {
            return Problems.NotFound($"Recording {id}");
        }
        if (recording.EndedAt is null)
        {
            return Problems.Conflict("The call is still being recorded.");
        }
        AriFileDownload file;
        try
        {
            file = await asterisk.Ari.Rest.Recordings.OpenStoredFileAsync(recording.Name, ct);
        }
        catch (AriNotFoundException)
        {
            return Problems.NotFound($"Recording {id}'s file");
        }
        await audit.AppendAsync(new AuditEntry(KeysEndpoints.Actor(http), "recording.listen", "call_recording",
            id.ToString(System.Globalization.CultureInfo.InvariantCulture), http.TraceIdentifier, new { recording.ChannelId }), ct);
        http.Response.RegisterForDisposeAsync(file);
        return TypedResults.Stream(file.Content, "audio/wav", $"{recording.Name}.wav");
    }
}
