using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Reports;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Ivr;
using Dapper;
using Npgsql;

namespace CityContact.Service.Tests.Quality;

/// <summary>Review forms, scoring a recorded call, the review queue (low survey ratings first) and the averages.</summary>
public sealed class ReviewTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private static readonly string[] Criteria = ["Greeting", "Accuracy"];

    private static CancellationToken Ct => TestContext.Timeout(30);

    private HttpClient Admin => service.Factory.ClientWithKey(ServiceFactory.AdminKey);

    [Fact]
    public async Task A_call_the_citizen_rated_low_is_offered_first_and_its_review_counts_in_the_agent_and_queue_averages()
    {
        var agent = await Admin.PostAsJsonAsync("/api/agents", new { name = "Reviewed", sipEndpoint = "PJSIP/rev1", skills = Array.Empty<object>() }, Ct);
        var agentId = (await agent.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        await using var connection = new NpgsqlConnection(service.ConnectionString);
        var queueId = await connection.ExecuteScalarAsync<long>("SELECT id FROM queues ORDER BY id LIMIT 1");
        var now = DateTimeOffset.UtcNow;
        await connection.ExecuteAsync("""
            INSERT INTO call_recordings (channel_id, name, agent_id, queue_id, started_at, ended_at) VALUES
                ('rev-newer', 'call-rev-newer', @agentId, @queueId, @newer, @newer), ('rev-low', 'call-rev-low', @agentId, @queueId, @older, @older)
            """, new { agentId, queueId, newer = now.AddMinutes(-5), older = now.AddHours(-5) });
        var callId = await connection.ExecuteScalarAsync<long>("""
            INSERT INTO calls (channel_id, caller, dialed_number, language, started_at) VALUES ('rev-low', '+40256000001', '0256969', 'en', @at) RETURNING id
            """, new { at = now.AddHours(-5) });
        await connection.ExecuteAsync("""
            INSERT INTO tickets (kind, subject, number, call_id, rating) VALUES ('complaint', 'Rude', 'TM-2024-800001', @callId, 1)
            """, new { callId });

        var queue = await Admin.GetFromJsonAsync<JsonElement>("/api/quality/review-queue", Ct);
        Assert.Equal(["rev-low", "rev-newer"], queue.EnumerateArray().Select(c => c.GetProperty("channelId").GetString()));
        Assert.Equal(1, queue[0].GetProperty("surveyRating").GetInt32());

        var created = await Admin.PostAsJsonAsync("/api/quality/forms", new { name = "Standard call", criteria = Criteria }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var form = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var criteria = form.GetProperty("criteria").EnumerateArray().Select(c => c.GetProperty("id").GetInt64()).ToArray();
        var recordingId = queue[0].GetProperty("recordingId").GetInt64();

        var refused = await Admin.PostAsJsonAsync("/api/quality/reviews", new
        {
            recordingId, formId = form.GetProperty("id").GetInt64(), scores = new[] { new { criterionId = criteria[0], score = 6, comment = "" } },
        }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var errors = (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("scores[0].score", out _));
        Assert.True(errors.TryGetProperty("scores", out _));

        var reviewed = await Admin.PostAsJsonAsync("/api/quality/reviews", new
        {
            recordingId, formId = form.GetProperty("id").GetInt64(),
            scores = new[] { new { criterionId = criteria[0], score = 2, comment = "No greeting" }, new { criterionId = criteria[1], score = 3, comment = "" } },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, reviewed.StatusCode);

        var averages = await Admin.GetFromJsonAsync<JsonElement>("/api/quality/averages", Ct);
        Assert.Equal(2.5m, averages.EnumerateArray().Single(a => a.GetProperty("scope").GetString() == "agent" && a.GetProperty("id").GetInt64() == agentId).GetProperty("average").GetDecimal());
        Assert.Equal(2.5m, averages.EnumerateArray().Single(a => a.GetProperty("scope").GetString() == "queue" && a.GetProperty("id").GetInt64() == queueId).GetProperty("average").GetDecimal());
        queue = await Admin.GetFromJsonAsync<JsonElement>("/api/quality/review-queue", Ct);
        Assert.Equal(["rev-newer"], queue.EnumerateArray().Select(c => c.GetProperty("channelId").GetString()));
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("UPDATE reviews SET average = 5"));

        // The emailed reports show the agent's review score beside their calls.
        await connection.ExecuteAsync("""
            INSERT INTO calls (channel_id, caller, dialed_number, language, started_at, answered_at, ended_at, outcome, agent_id, talk_ms)
            VALUES ('rev-answered', '+40256000002', '0256969', 'en', @at, @at, @at, 'answered', @agentId, 60000)
            """, new { agentId, at = now.AddMinutes(-30) });
        await using var dataSource = NpgsqlDataSource.Create(service.ConnectionString);
        var figures = await new ReportQueries(dataSource).AgentsAsync(
            new ReportQueries.Window(now.UtcDateTime.AddDays(-1), now.UtcDateTime.AddDays(1), "Europe/Bucharest", null, now.UtcDateTime), Ct);
        Assert.Equal(2.5, figures.Single(a => a.Id == agentId).QualityAverage);
    }
}
