using System.Globalization;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Wallboard;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Desk;

/// <summary>The reasons an agent (or a supervisor) gives a pause; the service itself pauses with <see cref="MissedCalls"/>.</summary>
public static class PauseReasons
{
    public const string Break = "break";
    public const string Lunch = "lunch";
    public const string Training = "training";
    public const string BackOffice = "back-office";
    public const string MissedCalls = "missed-calls";

    public static IReadOnlyList<string> Chosen { get; } = [Break, Lunch, Training, BackOffice];
}

public enum WrapUpCodeResult
{
    Stored,
    NoCall,
}

/// <summary>
/// What an agent does at the desk, or a supervisor does to an agent from the board: log in and out, pause with a reason,
/// unpause, give the call a wrap-up code, end the wrap-up early. The same dispatcher as the deskphone's *45/*46, so both
/// ways agree at once; each state action is audited with who did it.
/// </summary>
public sealed class AgentActions(QueueDispatcher dispatcher, LiveFloor floor, WrapUpStore wrapUps, AuditLog audit)
{
    public async Task<AgentView?> ActAsync(long agentId, AgentAction action, string? reason, string actor, CancellationToken ct)
    {
        if (await dispatcher.ActAsync(agentId, action, reason) is not { } view)
        {
            return null;
        }
        await audit.AppendAsync(new AuditEntry(actor, "agent." + action.ToString().ToLowerInvariant(), "agent", Id(agentId), null,
            new { reason, state = view.State, agent = view.Name }), ct);
        return view;
    }

    /// <summary>Stores the code of the call on the agent's desk (ringing, talking or in wrap-up).</summary>
    public async Task<WrapUpCodeResult> SetWrapUpCodeAsync(long agentId, string code, string actor, CancellationToken ct)
    {
        if (await floor.CurrentCallOfAsync(agentId) is not { } callId)
        {
            return WrapUpCodeResult.NoCall;
        }
        await wrapUps.SetAsync(callId, agentId, code, actor, ct);
        floor.WrapUpCodeSet(agentId, callId, code);
        return WrapUpCodeResult.Stored;
    }

    /// <summary>Ends the agent's wrap-up now; false when the agent is not in wrap-up.</summary>
    public async Task<bool> EndWrapUpAsync(long agentId, string actor, CancellationToken ct)
    {
        if (!await dispatcher.EndWrapUpAsync(agentId))
        {
            return false;
        }
        await audit.AppendAsync(new AuditEntry(actor, "agent.wrapup_ended", "agent", Id(agentId)), ct);
        return true;
    }

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Wrap-up codes of calls (table call_wrapups, owned by the desk).</summary>
public sealed class WrapUpStore(NpgsqlDataSource dataSource)
{
    public async Task SetAsync(string channelId, long agentId, string code, string setBy, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO call_wrapups (channel_id, call_id, agent_id, code, set_by)
            VALUES (@channelId, (SELECT id FROM calls WHERE channel_id = @channelId), @agentId, @code, @setBy)
            ON CONFLICT (channel_id, agent_id) DO UPDATE
            SET code = excluded.code, set_by = excluded.set_by, set_at = now(), call_id = coalesce(call_wrapups.call_id, excluded.call_id)
            """, new { channelId, agentId, code, setBy }, cancellationToken: ct));
    }

    public async Task<string?> CodeOfAsync(string channelId, long agentId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT code FROM call_wrapups WHERE channel_id = @channelId AND agent_id = @agentId", new { channelId, agentId }, cancellationToken: ct));
    }
}
