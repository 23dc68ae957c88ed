using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using Dapper;
using Npgsql;
using Quartz;

namespace CityContact.Service.Features.Quality;

/// <summary>Section "Retention": how long each kind of personal record is kept, and when the sweep runs.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>Call recordings (quality monitoring).</summary>
    public int RecordingDays { get; set; } = 90;

    /// <summary>Voicemail messages left by citizens (the ticket keeps its text and history).</summary>
    public int VoicemailDays { get; set; } = 180;

    /// <summary>Emergency group chat messages and supervisors' broadcasts (the conference events stay).</summary>
    public int ChatDays { get; set; } = 365;

    /// <summary>Quartz cron of the sweep, in the city's time zone: 03:30 every night.</summary>
    public string Cron { get; set; } = "0 30 3 * * ?";
}

public sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var errors = new List<string>();
        foreach (var (setting, days) in new[] { ("RecordingDays", options.RecordingDays), ("VoicemailDays", options.VoicemailDays), ("ChatDays", options.ChatDays) })
        {
            if (days is < 1 or > 36500)
            {
                errors.Add($"Retention:{setting} must be between 1 and 36500 days");
            }
        }
        if (string.IsNullOrWhiteSpace(options.Cron) || !CronExpression.TryParse(options.Cron, out _))
        {
            errors.Add($"Retention:Cron is not a Quartz cron expression: {options.Cron}");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

public sealed record RetentionResult(int Recordings, int Voicemails, int Chat, int Broadcasts);

/// <summary>
/// Deletes what is past its period, now: the files through Asterisk (ARI deletes its stored recordings), then the rows,
/// each deletion recorded in retention_deletions. Recordings and voicemails of a ticket with hold_recordings stay.
/// </summary>
public sealed partial class RetentionSweep(
    NpgsqlDataSource dataSource, AsteriskConnection asterisk, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionSweep> logger)
{
    private sealed record Expired(long Id, string Name, DateTime CreatedAt);

    public async Task<RetentionResult> RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        var recordings = await DeleteRecordingsAsync(now, now.AddDays(-settings.RecordingDays), ct);
        var voicemails = await DeleteVoicemailsAsync(now, now.AddDays(-settings.VoicemailDays), ct);
        var (chat, broadcasts) = await DeleteChatAsync(now, now.AddDays(-settings.ChatDays), ct);
        var result = new RetentionResult(recordings, voicemails, chat, broadcasts);
        LogSwept(result.Recordings, result.Voicemails, result.Chat, result.Broadcasts);
        return result;
    }

    private async Task<int> DeleteRecordingsAsync(DateTimeOffset now, DateTimeOffset before, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var expired = await connection.QueryAsync<Expired>(new CommandDefinition("""
            SELECT r.id, r.name, r.started_at AS created_at FROM call_recordings r
            WHERE r.deleted_at IS NULL AND r.ended_at IS NOT NULL AND r.started_at < @before
              AND NOT EXISTS (SELECT 1 FROM tickets t JOIN calls c ON c.id = t.call_id WHERE c.channel_id = r.channel_id AND t.hold_recordings)
            ORDER BY r.id
            """, new { before }, cancellationToken: ct));
        var deleted = 0;
        foreach (var recording in expired)
        {
            if (!await DeleteStoredAsync(recording.Name, ct))
            {
                continue;
            }
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE call_recordings SET deleted_at = @now WHERE id = @Id", new { now, recording.Id }, transaction, cancellationToken: ct));
            await RecordAsync(connection, transaction, now, "recording", recording.Name, recording.CreatedAt, ct);
            await transaction.CommitAsync(ct);
            deleted++;
        }
        return deleted;
    }

    private async Task<int> DeleteVoicemailsAsync(DateTimeOffset now, DateTimeOffset before, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var expired = await connection.QueryAsync<Expired>(new CommandDefinition("""
            SELECT id, recording_ref AS name, created_at FROM tickets
            WHERE recording_ref IS NOT NULL AND created_at < @before AND NOT hold_recordings ORDER BY id
            """, new { before }, cancellationToken: ct));
        var deleted = 0;
        foreach (var voicemail in expired)
        {
            // A stored recording's name, or (fallback voicemail imported while the service was down) a file path.
            if (Path.IsPathFullyQualified(voicemail.Name))
            {
                File.Delete(voicemail.Name);
            }
            else if (!await DeleteStoredAsync(voicemail.Name, ct))
            {
                continue;
            }
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE tickets SET recording_ref = NULL WHERE id = @Id", new { voicemail.Id }, transaction, cancellationToken: ct));
            await RecordAsync(connection, transaction, now, "voicemail", voicemail.Name, voicemail.CreatedAt, ct);
            await transaction.CommitAsync(ct);
            deleted++;
        }
        return deleted;
    }

    /// <summary>Chat messages and broadcasts past the period, deleted and recorded in one transaction (the only one allowed to delete them).</summary>
    private async Task<(int Chat, int Broadcasts)> DeleteChatAsync(DateTimeOffset now, DateTimeOffset before, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SET LOCAL citycontact.retention = 'on'", transaction: transaction, cancellationToken: ct));
        var chat = await connection.ExecuteAsync(new CommandDefinition("""
            WITH gone AS (DELETE FROM emergency_timeline WHERE kind = 'message' AND at < @before RETURNING id, at)
            INSERT INTO retention_deletions (at, kind, reference, created_at) SELECT @now, 'chat', 'emergency_timeline/' || id, at FROM gone
            """, new { now, before }, transaction, cancellationToken: ct));
        var broadcasts = await connection.ExecuteAsync(new CommandDefinition("""
            WITH gone AS (DELETE FROM broadcasts WHERE at < @before RETURNING id, at)
            INSERT INTO retention_deletions (at, kind, reference, created_at) SELECT @now, 'broadcast', 'broadcasts/' || id, at FROM gone
            """, new { now, before }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return (chat, broadcasts);
    }

    /// <summary>True when the file is gone (deleted now, or already missing); false when Asterisk could not be asked.</summary>
    private async Task<bool> DeleteStoredAsync(string name, CancellationToken ct)
    {
        try
        {
            await asterisk.Ari.Rest.Recordings.DeleteStoredAsync(name, ct).IgnoreNotFound();
            return true;
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            // Kept for the next run: the row must not say deleted while the file is still there.
            LogDeleteFailed(name, e.Message);
            return false;
        }
    }

    private static Task<int> RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset at, string kind, string reference, DateTime createdAt, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO retention_deletions (at, kind, reference, created_at) VALUES (@at, @kind, @reference, @createdAt)
            """, new { at, kind, reference, createdAt }, transaction, cancellationToken: ct));

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: deleted {Recordings} recordings, {Voicemails} voicemails, {Chat} chat messages, {Broadcasts} broadcasts")]
    private partial void LogSwept(int recordings, int voicemails, int chat, int broadcasts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention: could not delete {Name}: {Error}")]
    private partial void LogDeleteFailed(string name, string error);
}

/// <summary>Fired by Quartz on one instance of the cluster.</summary>
[DisallowConcurrentExecution]
public sealed class RetentionJob(RetentionSweep sweep) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) => await sweep.RunAsync(cancellationToken);
}

/// <summary>Puts the sweep's cron trigger in Quartz's store at start (replacing the previous one, so a changed Cron applies).</summary>
public sealed class RetentionSchedule(ISchedulerFactory schedulers, IOptions<RetentionOptions> options, IOptions<Infrastructure.Configuration.CityOptions> city) : IHostedService
{
    private static readonly JobKey Key = new("retention", "retention");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<RetentionJob>().WithIdentity(Key).Build();
        var trigger = TriggerBuilder.Create().WithIdentity(Key.Name, Key.Group).ForJob(Key)
            .WithCronSchedule(options.Value.Cron, cron => cron.InTimeZone(TimeZoneInfo.FindSystemTimeZoneById(city.Value.TimeZone)))
            .Build();
        await scheduler.ScheduleJob(job, [trigger], new ScheduleJobOptions { Replace = true }, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
