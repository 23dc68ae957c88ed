using System.Threading.Channels;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Agents;

/// <summary>What an agent is doing, as the dispatcher sees it.</summary>
public enum AgentStatus
{
    /// <summary>The deskphone is not registered (ARI endpoint offline): no call can reach it whatever the agent chose.</summary>
    Offline,
    LoggedOut,
    Available,
    Ringing,
    OnCall,
    WrapUp,
    Paused,
}

public static class AgentStatusNames
{
    /// <summary>
    /// The state stored in agent_state_changes (its CHECK: available, talking, wrap_up, paused, logged_out). Reports count
    /// logged-in time as "not logged_out", so an unregistered phone is stored as logged_out (reason "offline"); ringing is
    /// still available time for the reports and is not stored.
    /// </summary>
    public static string? Stored(AgentStatus status) => status switch
    {
        AgentStatus.Offline or AgentStatus.LoggedOut => "logged_out",
        AgentStatus.Available => "available",
        AgentStatus.OnCall => "talking",
        AgentStatus.WrapUp => "wrap_up",
        AgentStatus.Paused => "paused",
        _ => null,
    };

    public static string Api(AgentStatus status) => status switch
    {
        AgentStatus.LoggedOut => "logged_out",
        AgentStatus.OnCall => "on_call",
        AgentStatus.WrapUp => "wrap_up",
        _ => status.ToString().ToLowerInvariant(),
    };
}

public sealed record AgentStateChange(long AgentId, DateTimeOffset At, string State, string? Reason);

/// <summary>
/// Write-behind for agent_state_changes: the dispatcher never waits on PostgreSQL. One writer inserts in the order the
/// changes were made (each row carries its own timestamp, so a late write still places the state right).
/// </summary>
public sealed partial class AgentStateLog(NpgsqlDataSource dataSource, ILogger<AgentStateLog> logger) : BackgroundService
{
    private readonly Channel<AgentStateChange> _queue = Channel.CreateUnbounded<AgentStateChange>(new UnboundedChannelOptions { SingleReader = true });
    private long _pending;

    public long Pending => Interlocked.Read(ref _pending);

    public void Append(AgentStateChange change)
    {
        Interlocked.Increment(ref _pending);
        _queue.Writer.TryWrite(change);
    }

    /// <summary>The last stored state of every agent (what the dispatcher starts from after a restart).</summary>
    public async Task<IReadOnlyDictionary<long, (string State, string? Reason)>> LastStatesAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(long AgentId, string State, string? Reason)>(new CommandDefinition("""
            SELECT DISTINCT ON (agent_id) agent_id, state, reason FROM agent_state_changes ORDER BY agent_id, at DESC, id DESC
            """, cancellationToken: ct));
        return rows.ToDictionary(r => r.AgentId, r => (r.State, r.Reason));
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
        var batch = new List<AgentStateChange>();
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < 500 && _queue.Reader.TryRead(out var change))
            {
                batch.Add(change);
            }
            while (true)
            {
                try
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    await connection.ExecuteAsync(new CommandDefinition("""
                        INSERT INTO agent_state_changes (agent_id, at, state, reason)
                        SELECT * FROM unnest(@agents, @ats, @states, @reasons)
                        """, new
                    {
                        agents = batch.Select(c => c.AgentId).ToArray(),
                        ats = batch.Select(c => c.At.UtcDateTime).ToArray(),
                        states = batch.Select(c => c.State).ToArray(),
                        reasons = batch.Select(c => c.Reason).ToArray(),
                    }, cancellationToken: stoppingToken));
                    break;
                }
                catch (NpgsqlException e)
                {
                    LogWriteFailed(e.Message);
                    await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
                }
            }
            Interlocked.Add(ref _pending, -batch.Count);
            batch.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing agent state changes failed, retrying: {Error}")]
    private partial void LogWriteFailed(string error);
}
