using Dapper;
using Npgsql;

namespace CityContact.Service.Tests.Reports;

/// <summary>Writes calls, tickets and agent states straight into the tables, the way the call and ticket features will.</summary>
public sealed class ReportSeed(NpgsqlDataSource dataSource)
{
    public static readonly TimeZoneInfo Bucharest = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");

    /// <summary>A local Bucharest wall-clock time as UTC.</summary>
    public static DateTime Local(int year, int month, int day, int hour, int minute, int second = 0) =>
        TimeZoneInfo.ConvertTimeToUtc(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified), Bucharest);

    public async Task<long> DepartmentAsync(string code, string name)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("INSERT INTO departments (code, name) VALUES (@code, @name) RETURNING id", new { code, name });
    }

    public async Task<long> QueueAsync(string code, long departmentId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(
            "INSERT INTO queues (code, name, department_id, skill) VALUES (@code, @code, @departmentId, @code) RETURNING id", new { code, departmentId });
    }

    public async Task<long> AgentAsync(string name, string endpoint, long departmentId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(
            "INSERT INTO agents (name, sip_endpoint, department_id) VALUES (@name, @endpoint, @departmentId) RETURNING id", new { name, endpoint, departmentId });
    }

    public async Task AgentStateAsync(long agentId, DateTime at, string state)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO agent_state_changes (agent_id, at, state) VALUES (@agentId, @at, @state)", new { agentId, at, state });
    }

    /// <summary>A finished call (or one in progress when <paramref name="outcome"/> is null) lasting <paramref name="seconds"/>.</summary>
    public async Task<long> CallAsync(DateTime startedAt, string? outcome, long? departmentId = null, string caller = "0700000000",
        double? waitSeconds = null, double? talkSeconds = null, long? queueId = null, long? agentId = null, string[]? ivrPath = null, double seconds = 60,
        string direction = "inbound")
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var answeredAt = outcome == "answered" ? startedAt.AddSeconds(waitSeconds ?? 0) : (DateTime?)null;
        var endedAt = outcome is null ? (DateTime?)null
            : answeredAt is { } answered && talkSeconds is { } talk ? answered.AddSeconds(talk) : startedAt.AddSeconds(seconds);
        return await connection.ExecuteScalarAsync<long>("""
            INSERT INTO calls (channel_id, caller, dialed_number, language, started_at, answered_at, ended_at, outcome,
                               department_id, queue_id, agent_id, queue_wait_ms, talk_ms, ivr_path, direction)
            VALUES (@channel, @caller, '0800', 'ro', @startedAt, @answeredAt, @endedAt, @outcome,
                    @departmentId, @queueId, @agentId, @waitMs, @talkMs, @ivrPath, @direction)
            RETURNING id
            """, new
        {
            channel = Guid.NewGuid().ToString("N"), caller, startedAt, answeredAt, endedAt, outcome, departmentId, queueId, agentId,
            waitMs = waitSeconds is null ? (long?)null : (long)(waitSeconds.Value * 1000),
            talkMs = talkSeconds is null ? (long?)null : (long)(talkSeconds.Value * 1000),
            ivrPath = ivrPath ?? [],
            direction,
        });
    }

    public async Task CallEventAsync(long callId, DateTime at, string type, string dataJson)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("INSERT INTO call_events (call_id, at, type, data) VALUES (@callId, @at, @type, @dataJson::jsonb)", new { callId, at, type, dataJson });
    }

    public async Task<long> TicketAsync(string kind, long? departmentId, DateTime createdAt, DateTime? dueAt = null, DateTime? resolvedAt = null,
        int? rating = null, long? callId = null, string subject = "Subiect")
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            INSERT INTO tickets (kind, status, subject, department_id, call_id, due_at, resolved_at, rating, created_at)
            VALUES (@kind, CASE WHEN @resolvedAt::timestamptz IS NULL THEN 'new' ELSE 'resolved' END, @subject, @departmentId, @callId,
                    @dueAt, @resolvedAt, @rating, @createdAt)
            RETURNING id
            """, new { kind, subject, departmentId, callId, dueAt, resolvedAt, rating = (short?)rating, createdAt });
    }
}
