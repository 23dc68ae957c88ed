using System.Threading.Channels;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Queues;

/// <summary>What the queue adds to a call's row: queue, department, agent, wait and talk time.</summary>
public sealed record QueuedCall(string ChannelId, long QueueId, long DepartmentId, long? AgentId, long QueueWaitMs, long? TalkMs, bool Urgent);

/// <summary>
/// Write-behind for the queue's columns of the calls row. The row itself is written behind by the call recorder, so
/// an update that finds no row yet is retried until it does.
/// </summary>
public sealed partial class QueueCallLog(NpgsqlDataSource dataSource, ILogger<QueueCallLog> logger) : BackgroundService
{
    private readonly Channel<QueuedCall> _queue = Channel.CreateUnbounded<QueuedCall>(new UnboundedChannelOptions { SingleReader = true });
    private long _pending;

    public long Pending => Interlocked.Read(ref _pending);

    public void Record(QueuedCall call)
    {
        Interlocked.Increment(ref _pending);
        _queue.Writer.TryWrite(call);
    }

    public async Task WaitUntilStoredAsync(CancellationToken ct)
    {
        while (Pending > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var call in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    var updated = await connection.ExecuteAsync(new CommandDefinition("""
                        UPDATE calls SET queue_id = @QueueId, department_id = @DepartmentId, agent_id = @AgentId,
                                         queue_wait_ms = @QueueWaitMs, talk_ms = @TalkMs, urgent = @Urgent
                        WHERE channel_id = @ChannelId
                        """, call, cancellationToken: stoppingToken));
                    if (updated > 0 || attempt >= 100)
                    {
                        break;
                    }
                }
                catch (NpgsqlException e)
                {
                    LogWriteFailed(e.Message);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken);
            }
            Interlocked.Decrement(ref _pending);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing a queued call failed, retrying: {Error}")]
    private partial void LogWriteFailed(string error);
}
