using CityContact.Service.Features.Auth;
using CityContact.Service.Infrastructure.Http;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace CityContact.Service.Features.Quality;

public sealed record FormRequest(string? Name, IReadOnlyList<string>? Criteria);

public sealed record ReviewCriterion(long Id, int Position, string Label);

public sealed record ReviewForm(long Id, string Name, IReadOnlyList<ReviewCriterion> Criteria);

public sealed record ScoreRequest(long? CriterionId, int? Score, string? Comment);

public sealed record ReviewRequest(long? RecordingId, long? FormId, IReadOnlyList<ScoreRequest>? Scores);

public sealed record Review(long Id, long RecordingId, long FormId, long? AgentId, long? QueueId, string Reviewer, DateTime At, decimal Average);

/// <summary>A recorded call waiting for review; <c>SurveyRating</c> is the citizen's 1–5 on the call's ticket, when there is one.</summary>
public sealed record ReviewCandidate(long RecordingId, string ChannelId, long? AgentId, long? QueueId, DateTime StartedAt, int? SurveyRating);

public sealed record QualityAverage(string Scope, long Id, int Reviews, decimal Average);

/// <summary>Review forms (admin), reviews of recorded calls (supervisor) and their averages per agent and queue.</summary>
public static class ReviewsEndpoints
{
    /// <summary>A citizen's rating at or below this puts the call first in the review queue.</summary>
    public const int LowRating = 2;

    public static void MapReviews(this IEndpointRouteBuilder endpoints)
    {
        var quality = endpoints.MapGroup("/api/quality").WithTags("Quality");
        quality.MapPost("/forms", CreateFormAsync).RequireRoles(Roles.Admin);
        quality.MapGet("/forms", async (NpgsqlDataSource db, CancellationToken ct) => TypedResults.Ok(await FormsAsync(db, null, ct))).RequireRoles(Roles.Supervisor);
        quality.MapGet("/review-queue", ReviewQueueAsync).RequireRoles(Roles.Supervisor);
        quality.MapPost("/reviews", ReviewAsync).RequireRoles(Roles.Supervisor);
        quality.MapGet("/averages", AveragesAsync).RequireRoles(Roles.Supervisor, Roles.Reporter);
    }

    private static async Task<IReadOnlyList<ReviewForm>> FormsAsync(NpgsqlDataSource dataSource, long? id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var forms = await connection.QueryAsync<(long Id, string Name)>(new CommandDefinition(
            "SELECT id, name FROM review_forms WHERE @id::bigint IS NULL OR id = @id ORDER BY name", new { id }, cancellationToken: ct));
        var criteria = (await connection.QueryAsync<(long FormId, long Id, int Position, string Label)>(new CommandDefinition(
            "SELECT form_id, id, position, label FROM review_criteria WHERE @id::bigint IS NULL OR form_id = @id ORDER BY position", new { id }, cancellationToken: ct)))
            .ToLookup(c => c.FormId);
        return [.. forms.Select(f => new ReviewForm(f.Id, f.Name, [.. criteria[f.Id].Select(c => new ReviewCriterion(c.Id, c.Position, c.Label))]))];
    }

    private static async Task<Results<Created<ReviewForm>, ValidationProblem, ProblemHttpResult>> CreateFormAsync(
        FormRequest request, NpgsqlDataSource dataSource, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            errors["name"] = ["required, at most 100 characters"];
        }
        if (request.Criteria is not { Count: > 0 and <= 30 } criteria || criteria.Any(c => string.IsNullOrWhiteSpace(c) || c.Length > 200))
        {
            errors["criteria"] = ["1 to 30 labels of at most 200 characters"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        long id;
        try
        {
            id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "INSERT INTO review_forms (name, created_by) VALUES (@name, @actor) RETURNING id",
                new { name = request.Name!.Trim(), actor = KeysEndpoints.Actor(http) }, transaction, cancellationToken: ct));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict($"A form named \"{request.Name!.Trim()}\" exists already.");
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO review_criteria (form_id, position, label) VALUES (@id, @position, @label)",
            request.Criteria!.Select((label, i) => new { id, position = i + 1, label = label.Trim() }), transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        var form = (await FormsAsync(dataSource, id, ct)).Single();
        return TypedResults.Created($"/api/quality/forms", form);
    }

    /// <summary>Recorded calls nobody has reviewed yet: those the citizen rated low first, then the newest.</summary>
    private static async Task<Ok<IReadOnlyList<ReviewCandidate>>> ReviewQueueAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return TypedResults.Ok<IReadOnlyList<ReviewCandidate>>([.. await connection.QueryAsync<ReviewCandidate>(new CommandDefinition("""
            SELECT r.id AS recording_id, r.channel_id, r.agent_id, r.queue_id, r.started_at,
                   (SELECT min(t.rating) FROM tickets t JOIN calls c ON c.id = t.call_id WHERE c.channel_id = r.channel_id)::int AS survey_rating
            FROM call_recordings r
            WHERE r.deleted_at IS NULL AND r.ended_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.recording_id = r.id)
            ORDER BY (SELECT min(t.rating) FROM tickets t JOIN calls c ON c.id = t.call_id WHERE c.channel_id = r.channel_id) <= @low DESC NULLS LAST,
                     r.started_at DESC
            LIMIT 200
            """, new { low = LowRating }, cancellationToken: ct))]);
    }

    private static async Task<Results<Created<Review>, ValidationProblem, ProblemHttpResult>> ReviewAsync(
        ReviewRequest request, NpgsqlDataSource dataSource, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        if (request.RecordingId is not { } recordingId || request.FormId is not { } formId)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [request.RecordingId is null ? "recordingId" : "formId"] = ["required"] });
        }
        if ((await FormsAsync(dataSource, formId, ct)).SingleOrDefault() is not { } form)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["formId"] = ["no such form"] });
        }
        var scores = request.Scores ?? [];
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < scores.Count; i++)
        {
            if (scores[i].Score is not (>= 1 and <= 5))
            {
                errors[$"scores[{i}].score"] = ["1 to 5"];
            }
            if (scores[i].Comment is { Length: > 2000 })
            {
                errors[$"scores[{i}].comment"] = ["at most 2000 characters"];
            }
        }
        var missing = form.Criteria.Where(c => scores.Count(s => s.CriterionId == c.Id) != 1).Select(c => c.Label).ToList();
        if (missing.Count > 0 || scores.Count != form.Criteria.Count)
        {
            errors["scores"] = [$"one score for each criterion of the form; missing or repeated: {string.Join(", ", missing)}"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var recording = await connection.QuerySingleOrDefaultAsync<(long? AgentId, long? QueueId)?>(new CommandDefinition(
            "SELECT agent_id, queue_id FROM call_recordings WHERE id = @recordingId", new { recordingId }, cancellationToken: ct));
        if (recording is not { } call)
        {
            return Problems.NotFound($"Recording {recordingId}");
        }
        var average = Math.Round((decimal)scores.Average(s => s.Score!.Value), 2);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var review = new Review(0, recordingId, formId, call.AgentId, call.QueueId, KeysEndpoints.Actor(http), time.GetUtcNow().UtcDateTime, average);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO reviews (recording_id, form_id, agent_id, queue_id, reviewer, at, average)
            VALUES (@RecordingId, @FormId, @AgentId, @QueueId, @Reviewer, @At, @Average) RETURNING id
            """, review, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO review_scores (review_id, criterion_id, score, comment) VALUES (@id, @CriterionId, @Score, @Comment)",
            scores.Select(s => new { id, s.CriterionId, s.Score, s.Comment }), transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return TypedResults.Created($"/api/quality/averages", review with { Id = id });
    }

    /// <summary>Average review score per agent and per queue over [from, to) (default: everything).</summary>
    private static async Task<Ok<IReadOnlyList<QualityAverage>>> AveragesAsync(DateTimeOffset? from, DateTimeOffset? to, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return TypedResults.Ok<IReadOnlyList<QualityAverage>>([.. await connection.QueryAsync<QualityAverage>(new CommandDefinition("""
            SELECT 'agent' AS scope, agent_id AS id, count(*)::int AS reviews, round(avg(average), 2) AS average FROM reviews
            WHERE agent_id IS NOT NULL AND (@from::timestamptz IS NULL OR at >= @from) AND (@to::timestamptz IS NULL OR at < @to) GROUP BY agent_id
            UNION ALL
            SELECT 'queue', queue_id, count(*)::int, round(avg(average), 2) FROM reviews
            WHERE queue_id IS NOT NULL AND (@from::timestamptz IS NULL OR at >= @from) AND (@to::timestamptz IS NULL OR at < @to) GROUP BY queue_id
            ORDER BY 1, 2
            """, new { from, to }, cancellationToken: ct))]);
    }
}
