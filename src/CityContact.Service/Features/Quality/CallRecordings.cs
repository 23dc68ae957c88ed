using CityContact.Service.Features.Ivr;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using CityContact.Telephony.Ari.Rest;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Quality;

public static class RecordingPolicies
{
    public const string Off = "off";
    public const string All = "all";
    public const string Sample = "sample";
}

public sealed record CallRecording(long Id, string ChannelId, string Name, long? QueueId, long? AgentId, DateTime StartedAt, DateTime? EndedAt, DateTime? DeletedAt);

/// <summary>
/// Records queue calls by the queue's policy. The caller hears the notice when they enter the queue (before any agent);
/// once caller and agent are bridged, a snoop on the caller's channel that hears both directions is recorded, so the
/// file mixes both legs; it ends with the talk (the snoop is hung up) or with the caller's channel.
/// </summary>
public sealed partial class CallRecordings(AsteriskConnection asterisk, NpgsqlDataSource dataSource, TimeProvider time, ILogger<CallRecordings> logger)
    : IStasisListener
{
    public const string SnoopArg = "recording";

    /// <summary>The call variable that marks a call chosen for recording (its value is the queue's id).</summary>
    public const string RecordedVariable = "recorded";

    private AriRestClient Ari => asterisk.Ari.Rest;

    public static string NameOf(string channelId) => $"call-{channelId}";

    private static string SnoopIdOf(string channelId) => $"rec-{channelId}";

    /// <summary>Decides by the queue's policy; a call to be recorded is marked and its caller hears the notice now.</summary>
    public async Task NoticeAsync(CallHandler call, long queueId, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var (policy, share) = await connection.QuerySingleAsync<(string, decimal)>(new CommandDefinition(
                "SELECT recording_policy, recording_share FROM queues WHERE id = @queueId", new { queueId }, cancellationToken: ct));
            var recorded = policy == RecordingPolicies.All || (policy == RecordingPolicies.Sample && Random.Shared.NextDouble() < (double)share);
            if (!recorded)
            {
                return;
            }
        }
        catch (NpgsqlException e)
        {
            // The database is away: the caller still reaches an agent, unrecorded (and so without the notice).
            LogRecordingFailed(call.ChannelId, e.Message);
            return;
        }
        call.SetVariable(RecordedVariable, queueId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        call.Step("recording.notice");
        await call.PlayAsync(["recording-notice"], interruptible: false, ct);
    }

    /// <summary>Caller and agent are bridged: the recording starts (when the snoop enters the app, see <see cref="Handle"/>).</summary>
    public async Task StartAsync(CallHandler call, long agentId, CancellationToken ct)
    {
        if (!call.Variables.TryGetValue(RecordedVariable, out var queue))
        {
            return;
        }
        var name = NameOf(call.ChannelId);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO call_recordings (channel_id, name, queue_id, agent_id, started_at)
                VALUES (@ChannelId, @name, @queueId, @agentId, @at) ON CONFLICT (channel_id) DO NOTHING
                """, new { call.ChannelId, name, queueId = long.Parse(queue, System.Globalization.CultureInfo.InvariantCulture), agentId, at = time.GetUtcNow() },
                cancellationToken: ct));
        }
        catch (NpgsqlException e)
        {
            // Unrecorded rather than a recording nobody could find: the conversation itself goes on.
            LogRecordingFailed(call.ChannelId, e.Message);
            return;
        }
        try
        {
            await Ari.Channels.SnoopAsync(call.ChannelId, new SnoopRequest
            {
                Spy = "both",
                App = asterisk.AppName,
                AppArgs = $"{SnoopArg},{call.ChannelId}",
                SnoopId = SnoopIdOf(call.ChannelId),
            }, ct);
            call.Step("recording.started", new { name });
        }
        catch (AriException e)
        {
            // The conversation goes on unrecorded rather than not at all.
            LogRecordingFailed(call.ChannelId, e.Message);
        }
    }

    /// <summary>The talk is over: the snoop goes, and with it the recording.</summary>
    public async Task StopAsync(CallHandler call)
    {
        if (call.Variables.ContainsKey(RecordedVariable))
        {
            await Ari.Channels.HangupAsync(SnoopIdOf(call.ChannelId), HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        }
    }

    public void Handle(AriMessage message)
    {
        switch (message)
        {
            case StasisStart { Args: [SnoopArg, var channelId, ..] } start:
                _ = Task.Run(() => RecordAsync(start.Channel.Id, channelId), CancellationToken.None);
                break;
            case RecordingFinished finished when finished.Recording.Name.StartsWith("call-", StringComparison.Ordinal):
                _ = Task.Run(() => EndedAsync(finished.Recording.Name), CancellationToken.None);
                break;
            case RecordingFailed failed when failed.Recording.Name.StartsWith("call-", StringComparison.Ordinal):
                LogRecordingFailed(failed.Recording.Name, failed.Recording.Cause ?? "failed");
                _ = Task.Run(() => EndedAsync(failed.Recording.Name), CancellationToken.None);
                break;
        }
    }

    private async Task RecordAsync(string snoopId, string channelId)
    {
        try
        {
            await Ari.Channels.RecordAsync(snoopId, new RecordRequest { Name = NameOf(channelId), Format = "wav", IfExists = "overwrite" }, CancellationToken.None);
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            LogRecordingFailed(channelId, e.Message);
            await Ari.Channels.HangupAsync(snoopId, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        }
    }

    private async Task EndedAsync(string name)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE call_recordings SET ended_at = @at WHERE name = @name AND ended_at IS NULL", new { name, at = time.GetUtcNow() }));
        }
        catch (NpgsqlException e)
        {
            LogRecordingFailed(name, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording of {ChannelId} failed: {Error}")]
    private partial void LogRecordingFailed(string channelId, string error);
}
