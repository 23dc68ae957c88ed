using System.Collections.Concurrent;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using CityContact.Telephony.Ari.Rest;

namespace CityContact.Service.Features.Quality;

public static class MonitorModes
{
    /// <summary>The supervisor hears caller and agent; nobody hears the supervisor.</summary>
    public const string Listen = "listen";

    /// <summary>The supervisor hears both and speaks to the agent only (the snoop whispers into what the agent hears).</summary>
    public const string Whisper = "whisper";

    /// <summary>The supervisor joins the conversation's bridge: caller and agent both hear them.</summary>
    public const string Barge = "barge";

    public static bool IsKnown(string? mode) => mode is Listen or Whisper or Barge;
}

public sealed record MonitorView(string Id, long AgentId, string SupervisorEndpoint, string Mode, string State, string ConversationBridgeId);

public enum MonitorRefusal
{
    None,
    UnknownAgent,
    AgentNotTalking,
}

/// <summary>
/// Supervisor listen, whisper and barge on an agent's conversation through ARI snoop channels. The supervisor's phone
/// is rung and, once answered, sits in a bridge of its own with a snoop on the agent's channel (listen: spy both;
/// whisper: spy both and whisper out, so only the agent hears); barge moves the supervisor into the conversation's
/// bridge. Each mode the supervisor takes is an audit row on the agent.
/// </summary>
public sealed partial class SupervisorMonitor(
    AsteriskConnection asterisk, AgentStore agents, AuditLog audit, ILogger<SupervisorMonitor> logger) : IStasisListener
{
    public const string SupervisorArg = "monitor";
    public const string SnoopArg = "monitor-snoop";

    private sealed class Session(string id, long agentId, string endpoint, string agentChannelId, string conversationBridgeId, string mode, string actor)
    {
        public string Id { get; } = id;
        public long AgentId { get; } = agentId;
        public string Endpoint { get; } = endpoint;
        public string AgentChannelId { get; } = agentChannelId;
        public string ConversationBridgeId { get; } = conversationBridgeId;
        public string Actor { get; set; } = actor;
        public string Mode { get; set; } = mode;
        public string State { get; set; } = "ringing";
        public string? SnoopId { get; set; }
        public TaskCompletionSource? SnoopReady { get; set; }
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public string SupervisorChannelId => $"monitor-{Id}";
        public string BridgeId => $"monitor-{Id}";
    }

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    private AriRestClient Ari => asterisk.Ari.Rest;

    public MonitorView? Get(string id) => _sessions.TryGetValue(id, out var s) ? View(s) : null;

    private static MonitorView View(Session s) => new(s.Id, s.AgentId, s.Endpoint, s.Mode, s.State, s.ConversationBridgeId);

    /// <summary>Rings the supervisor's phone; the mode starts once it answers.</summary>
    public async Task<(MonitorView? Session, MonitorRefusal Refusal)> StartAsync(long agentId, string supervisorEndpoint, string mode, string actor, CancellationToken ct)
    {
        if (await agents.GetAsync(agentId, ct) is not { } agent || agent.SipEndpoint.Split('/') is not [var tech, var resource])
        {
            return (null, MonitorRefusal.UnknownAgent);
        }
        var endpoint = await Ari.Endpoints.GetAsync(tech, resource, ct).IgnoreNotFound();
        var bridges = await Ari.Bridges.ListAsync(ct);
        var talking = endpoint?.ChannelIds
            .Select(channel => (Channel: channel, Bridge: bridges.FirstOrDefault(b => b.BridgeType == BridgeTypes.Mixing && b.Channels.Contains(channel))))
            .FirstOrDefault(t => t.Bridge is not null && !t.Bridge.Id.StartsWith("monitor-", StringComparison.Ordinal));
        if (talking?.Bridge is not { } conversation)
        {
            return (null, MonitorRefusal.AgentNotTalking);
        }
        var session = new Session(Guid.NewGuid().ToString("N")[..12], agentId, supervisorEndpoint, talking.Value.Channel, conversation.Id, mode, actor);
        _sessions[session.Id] = session;
        await Ari.Channels.OriginateAsync(new OriginateRequest
        {
            Endpoint = supervisorEndpoint,
            App = asterisk.AppName,
            AppArgs = $"{SupervisorArg},{session.Id}",
            ChannelId = session.SupervisorChannelId,
            CallerId = "\"City Hall monitor\" <0000>",
            Timeout = TimeSpan.FromSeconds(30),
        }, ct);
        return (View(session), MonitorRefusal.None);
    }

    /// <summary>Switches an answered session to another mode (listen → whisper → barge, or back).</summary>
    public async Task<MonitorView?> SwitchAsync(string id, string mode, string actor, CancellationToken ct)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            return null;
        }
        await session.Gate.WaitAsync(ct);
        try
        {
            session.Actor = actor;
            if (session.State == "active" && session.Mode != mode)
            {
                await ApplyAsync(session, mode, ct);
            }
            else
            {
                session.Mode = mode;
            }
            return View(session);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    public async Task<bool> StopAsync(string id)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            return false;
        }
        await Ari.Channels.HangupAsync(session.SupervisorChannelId, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        await EndAsync(session);
        return true;
    }

    public void Handle(AriMessage message)
    {
        switch (message)
        {
            case StasisStart { Args: [SupervisorArg, var id, ..] } when _sessions.TryGetValue(id, out var session):
                _ = Task.Run(() => AnsweredAsync(session), CancellationToken.None);
                break;
            case StasisStart { Args: [SnoopArg, var id, ..] } start when _sessions.TryGetValue(id, out var session) && session.SnoopId == start.Channel.Id:
                session.SnoopReady?.TrySetResult();
                break;
            case StasisEnd end when end.Channel.Id.StartsWith("snoop-", StringComparison.Ordinal)
                && _sessions.Values.FirstOrDefault(s => s.SnoopId == end.Channel.Id) is { } snooping:
                // The agent's channel is gone (a snoop ends with the channel it listens to): the conversation is over.
                _ = Task.Run(() => StopAsync(snooping.Id), CancellationToken.None);
                break;
            case StasisEnd end when end.Channel.Id.StartsWith("monitor-", StringComparison.Ordinal) && _sessions.TryGetValue(end.Channel.Id["monitor-".Length..], out var session):
                _ = Task.Run(() => EndAsync(session), CancellationToken.None);
                break;
            case ChannelDestroyed destroyed when destroyed.Channel.Id.StartsWith("monitor-", StringComparison.Ordinal) && _sessions.TryGetValue(destroyed.Channel.Id["monitor-".Length..], out var session):
                _ = Task.Run(() => EndAsync(session), CancellationToken.None);
                break;
        }
    }

    private async Task AnsweredAsync(Session session)
    {
        await session.Gate.WaitAsync();
        try
        {
            await Ari.Bridges.CreateAsync(BridgeTypes.Mixing, session.BridgeId, session.BridgeId, CancellationToken.None);
            await Ari.Bridges.AddChannelAsync(session.BridgeId, session.SupervisorChannelId, null, CancellationToken.None);
            session.State = "active";
            var mode = session.Mode;
            session.Mode = "";
            await ApplyAsync(session, mode, CancellationToken.None);
        }
        catch (Exception e) when (e is AriException or HttpRequestException or TimeoutException)
        {
            LogMonitorFailed(session.Id, e.Message);
            await Ari.Channels.HangupAsync(session.SupervisorChannelId, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>Under the session's gate: tears down the previous mode's media path and builds the new one, then audits.</summary>
    private async Task ApplyAsync(Session session, string mode, CancellationToken ct)
    {
        if (session.SnoopId is { } previous)
        {
            session.SnoopId = null;
            await Ari.Channels.HangupAsync(previous, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        }
        if (session.Mode == MonitorModes.Barge && mode != MonitorModes.Barge)
        {
            await Ari.Bridges.RemoveChannelAsync(session.ConversationBridgeId, session.SupervisorChannelId, ct).IgnoreNotFound();
            await Ari.Bridges.AddChannelAsync(session.BridgeId, session.SupervisorChannelId, null, ct);
        }
        if (mode == MonitorModes.Barge)
        {
            await Ari.Bridges.RemoveChannelAsync(session.BridgeId, session.SupervisorChannelId, ct).IgnoreNotFound();
            await Ari.Bridges.AddChannelAsync(session.ConversationBridgeId, session.SupervisorChannelId, null, ct);
        }
        else
        {
            var snoopId = $"snoop-{session.Id}-{Guid.NewGuid():N}"[..40];
            session.SnoopId = snoopId;
            session.SnoopReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await Ari.Channels.SnoopAsync(session.AgentChannelId, new SnoopRequest
            {
                Spy = "both",
                Whisper = mode == MonitorModes.Whisper ? "out" : "none",
                App = asterisk.AppName,
                AppArgs = $"{SnoopArg},{session.Id}",
                SnoopId = snoopId,
            }, ct);
            // A channel joins a bridge only once in the app: Asterisk starts the snoop's Stasis after its 200.
            await session.SnoopReady.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
            await Ari.Bridges.AddChannelAsync(session.BridgeId, snoopId, null, ct);
        }
        session.Mode = mode;
        await audit.AppendAsync(new AuditEntry(session.Actor, $"monitor.{mode}", "agent", session.AgentId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            null, new { session = session.Id, supervisor = session.Endpoint, bridge = session.ConversationBridgeId }), ct);
        LogMode(session.Id, session.AgentId, mode);
    }

    private async Task EndAsync(Session session)
    {
        if (!_sessions.TryRemove(session.Id, out _))
        {
            return;
        }
        session.State = "ended";
        if (session.SnoopId is { } snoop)
        {
            await Ari.Channels.HangupAsync(snoop, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        }
        await Ari.Bridges.DestroyAsync(session.BridgeId, CancellationToken.None).IgnoreNotFound();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Monitor session {SessionId}: agent {AgentId} now in {Mode}")]
    private partial void LogMode(string sessionId, long agentId, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Monitor session {SessionId} failed: {Error}")]
    private partial void LogMonitorFailed(string sessionId, string error);
}
