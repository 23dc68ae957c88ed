using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Infrastructure.Configuration;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Ivr;

/// <summary>
/// The flow a new installation answers with: welcome, language choice, business hours (after-hours and holiday
/// messages), then the main menu — taxes, documents, complaints and requests, urgent matters, operator.
/// </summary>
public static class DefaultFlow
{
    public const string Code = "default";
    public const string ScheduleCode = "city-hall";

    /// <summary>Queue code, department name, priority in the flow.</summary>
    public static readonly IReadOnlyList<(string Code, string Name, int Priority)> Queues =
    [
        ("taxes", "Local taxes", 0),
        ("documents", "Documents and certificates", 0),
        ("complaints", "Complaints and requests", 0),
        ("urgent", "Urgent matters", 10),
        ("operator", "Operator", 0),
    ];

    public static FlowDefinition Definition { get; } = new()
    {
        Start = "welcome",
        Fallback = "operator",
        Languages = ["ro", "en"],
        Nodes = new Dictionary<string, FlowNode>
        {
            ["welcome"] = new() { Kind = NodeKinds.Play, Prompts = ["welcome"], Next = "language" },
            ["language"] = new()
            {
                Kind = NodeKinds.Language, Prompts = ["choose-language"], Options = new Dictionary<string, string> { ["1"] = "ro", ["2"] = "en" },
                NoInputPrompt = "no-input", InvalidPrompt = "invalid-choice", MaxRetries = 1, Next = "hours",
            },
            ["hours"] = new() { Kind = NodeKinds.Hours, Schedule = ScheduleCode, Open = "main", Closed = "after-hours", Holiday = "holiday" },
            ["main"] = new()
            {
                Kind = NodeKinds.Menu, Prompts = ["main-menu"],
                Options = new Dictionary<string, string> { ["1"] = "taxes", ["2"] = "documents", ["3"] = "complaints", ["4"] = "urgent", ["0"] = "operator" },
                NoInputPrompt = "no-input", InvalidPrompt = "invalid-choice", MaxRetries = 2, Exit = "operator",
            },
            ["taxes"] = new() { Kind = NodeKinds.Queue, Queue = "taxes", Priority = 0 },
            ["documents"] = new() { Kind = NodeKinds.Queue, Queue = "documents", Priority = 0 },
            ["complaints"] = new() { Kind = NodeKinds.Queue, Queue = "complaints", Priority = 0 },
            ["urgent"] = new() { Kind = NodeKinds.Queue, Queue = "urgent", Priority = 10 },
            ["operator"] = new() { Kind = NodeKinds.Queue, Queue = "operator", Priority = 0 },
            ["after-hours"] = new() { Kind = NodeKinds.Play, Prompts = ["after-hours", "goodbye"], Next = "end" },
            ["holiday"] = new() { Kind = NodeKinds.Play, Prompts = ["holiday", "goodbye"], Next = "end" },
            ["end"] = new() { Kind = NodeKinds.Hangup },
        },
    };
}

/// <summary>
/// On first start: the departments and queues the default flow names, the usual ticket categories, the city-hall schedule (Monday–Friday
/// 08:00–16:00 in City:TimeZone), the default flow published and answering every number. Later starts change nothing.
/// A database that is away only delays this to the next start: calls get the built-in default flow meanwhile.
/// </summary>
public sealed partial class DefaultFlowSeeder(NpgsqlDataSource dataSource, IOptions<CityOptions> city, ILogger<DefaultFlowSeeder> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SeedAsync(cancellationToken);
        }
        catch (NpgsqlException e)
        {
            LogSeedFailed(e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task SeedAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // One seeder at a time across instances sharing the database.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(6006)", transaction: transaction, cancellationToken: ct));
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT FROM ivr_flows WHERE code = @Code)", new { DefaultFlow.Code }, transaction, cancellationToken: ct)))
        {
            return;
        }
        foreach (var (code, name, _) in DefaultFlow.Queues)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO departments (code, name) VALUES (@code, @name) ON CONFLICT (code) DO NOTHING;
                INSERT INTO queues (code, name, department_id, skill)
                SELECT @code, @name, id, @code FROM departments WHERE code = @code
                ON CONFLICT (code) DO NOTHING;
                """, new { code, name }, transaction, cancellationToken: ct));
        }
        await Tickets.DefaultCategories.SeedAsync(connection, transaction, ct);
        var scheduleId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            INSERT INTO schedules (code, name, time_zone) VALUES (@code, 'City hall office hours', @zone)
            ON CONFLICT (code) DO NOTHING RETURNING id
            """, new { code = DefaultFlow.ScheduleCode, zone = city.Value.TimeZone }, transaction, cancellationToken: ct));
        if (scheduleId is { } id)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO schedule_hours (schedule_id, day_of_week, opens, closes)
                SELECT @id, d, '08:00', '16:00' FROM generate_series(1, 5) AS d
                """, new { id }, transaction, cancellationToken: ct));
        }
        var flowId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO ivr_flows (code, name) VALUES (@Code, 'City hall main line') RETURNING id", new { DefaultFlow.Code }, transaction, cancellationToken: ct));
        var versionId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO ivr_flow_versions (flow_id, version, definition, created_by, published_at, published_by)
            VALUES (@flowId, 1, @definition::jsonb, 'system', now(), 'system') RETURNING id
            """, new { flowId, definition = DefaultFlow.Definition.ToJson() }, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE ivr_flows SET live_version_id = @versionId WHERE id = @flowId;
            INSERT INTO ivr_numbers (number, flow_id) VALUES ('*', @flowId) ON CONFLICT (number) DO NOTHING;
            """, new { flowId, versionId }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        LogSeeded(DefaultFlow.Code);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "First start: the {FlowCode} flow, its queues and the city-hall schedule are in place")]
    private partial void LogSeeded(string flowCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seeding the default flow failed ({Error}); calls get the built-in default flow")]
    private partial void LogSeedFailed(string error);
}
