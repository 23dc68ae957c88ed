using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Queues;

namespace CityContact.Service.Features.Wallboard;

/// <summary>What the service knows of a queued call, copied when it joined the queue (the call's own objects stay with it).</summary>
public sealed record CallFacts(string CallId, long QueueId, string QueueCode, string CallerNumber, string? Language, IReadOnlyList<string> IvrPath, bool Urgent, DateTimeOffset JoinedAt);

/// <summary>Today's figures of one queue as stored in the calls rows (the seed at start-up and at midnight).</summary>
public sealed record StoredQueueDay(long QueueId, long Offered, long Answered, long Abandoned, long AnsweredWithinServiceLevel, double AnsweredWaitSeconds);

/// <summary>
/// The live floor: every queue's waiting callers and today's figures, every agent's state, calls today and current
/// call. Fed with the dispatcher's changes in their order; owned by one loop (<see cref="LiveFloor"/>), never shared.
/// Builds the board and the agents' desks; what changed since the last build is tracked so that only that is rebuilt.
/// </summary>
public sealed class FloorState(WallboardOptions thresholds, TimeSpan serviceLevel)
{
    private readonly Dictionary<long, QueueLive> _queues = [];
    private readonly Dictionary<long, AgentLive> _agents = [];
    private readonly HashSet<string> _offeredToday = new(StringComparer.Ordinal);
    private readonly HashSet<long> _changedDesks = [];
    private Dictionary<long, long> _callbacksByDepartment = [];

    public bool BoardChanged { get; private set; } = true;

    /// <summary>Something to publish: the board or a desk changed.</summary>
    public bool Changed => BoardChanged || _changedDesks.Count > 0;

    public bool AnyoneWaiting => _queues.Values.Any(q => q.Waiting.Count > 0);

    private sealed class QueueLive(Queue queue)
    {
        public Queue Queue { get; set; } = queue;
        public QueueDay Day { get; set; } = new();
        public Dictionary<string, DateTimeOffset> Waiting { get; } = new(StringComparer.Ordinal);
    }

    private sealed class AgentLive(AgentView view)
    {
        public AgentView View { get; set; } = view;
        public IReadOnlyList<AgentSkill> Skills { get; set; } = [];
        public long CallsToday { get; set; }
        public CallFacts? Call { get; set; }
        public DateTimeOffset CallPhaseSince { get; set; }
        public double WaitSeconds { get; set; }
        public string? WrapUpCode { get; set; }
        public long? CallRowId { get; set; }
        public CitizenHistory? History { get; set; }

        /// <summary>The call <see cref="History"/> and <see cref="CallRowId"/> were read for (kept if the same call rings again).</summary>
        public string? HistoryCallId { get; set; }
    }

    /// <summary>The queues as loaded; figures of queues already known are kept.</summary>
    public void LoadQueues(IEnumerable<Queue> queues)
    {
        foreach (var queue in queues)
        {
            if (_queues.TryGetValue(queue.Id, out var known))
            {
                known.Queue = queue;
            }
            else
            {
                _queues[queue.Id] = new QueueLive(queue);
            }
        }
        BoardChanged = true;
    }

    /// <summary>A new day in the city: today's figures start again from what the calls rows hold.</summary>
    public void StartDay(IEnumerable<StoredQueueDay> stored, IReadOnlyDictionary<long, long> callsTodayByAgent)
    {
        _offeredToday.Clear();
        foreach (var queue in _queues.Values)
        {
            queue.Day = new QueueDay();
        }
        foreach (var day in stored)
        {
            if (_queues.TryGetValue(day.QueueId, out var queue))
            {
                queue.Day.Add(day.Offered, day.Answered, day.Abandoned, day.AnsweredWithinServiceLevel, day.AnsweredWaitSeconds);
            }
        }
        foreach (var agent in _agents.Values)
        {
            agent.CallsToday = callsTodayByAgent.GetValueOrDefault(agent.View.Id);
        }
        BoardChanged = true;
    }

    public void SetCallbacksPending(Dictionary<long, long> byDepartment)
    {
        if (byDepartment.Count != _callbacksByDepartment.Count || byDepartment.Any(d => _callbacksByDepartment.GetValueOrDefault(d.Key) != d.Value))
        {
            BoardChanged = true;
        }
        _callbacksByDepartment = byDepartment;
    }

    public void Offered(CallFacts call, bool joined)
    {
        if (!_queues.TryGetValue(call.QueueId, out var queue))
        {
            return;
        }
        // A caller who let a callback offer go joins again: still one call offered.
        if (_offeredToday.Add(call.CallId))
        {
            queue.Day.Offer();
        }
        if (joined)
        {
            queue.Waiting[call.CallId] = call.JoinedAt;
        }
        BoardChanged = true;
    }

    public void Left(CallFacts call, QueueLeaving how, long? agentId, DateTimeOffset at)
    {
        if (!_queues.TryGetValue(call.QueueId, out var queue) || !queue.Waiting.Remove(call.CallId))
        {
            return;
        }
        switch (how)
        {
            case QueueLeaving.Answered:
                queue.Day.Answer(at - call.JoinedAt, serviceLevel);
                if (agentId is { } id && _agents.TryGetValue(id, out var agent))
                {
                    agent.CallsToday++;
                }
                break;
            case QueueLeaving.Abandoned:
                queue.Day.Abandon();
                break;
        }
        BoardChanged = true;
    }

    /// <summary>
    /// An agent's new state, with the call their phone rings for, talks to or wraps up after. True when the citizen's
    /// history is to be read: a call newly on the desk, other than the one last read for this agent (a caller offered
    /// to the same agent again is not read twice).
    /// </summary>
    public bool AgentChanged(AgentView view, IReadOnlyList<AgentSkill> skills, CallFacts? call, DateTimeOffset at)
    {
        if (!_agents.TryGetValue(view.Id, out var agent))
        {
            _agents[view.Id] = agent = new AgentLive(view);
        }
        var previousState = agent.View.State;
        agent.View = view;
        agent.Skills = skills;
        var newCall = call is not null && call.CallId != agent.Call?.CallId;
        if (newCall)
        {
            agent.WrapUpCode = null;
        }
        var read = newCall && call!.CallId != agent.HistoryCallId;
        if (read)
        {
            agent.CallRowId = null;
            agent.History = null;
            agent.HistoryCallId = null;
        }
        if (newCall || previousState != view.State)
        {
            agent.CallPhaseSince = at;
        }
        if (call is not null && (newCall || (view.State == "on_call" && previousState != "on_call")))
        {
            // The wait the caller had when the phone rang, then when the agent answered.
            agent.WaitSeconds = Math.Round(Math.Max(0, (at - call.JoinedAt).TotalSeconds), 1);
        }
        agent.Call = call;
        BoardChanged = true;
        _changedDesks.Add(view.Id);
        return read;
    }

    /// <summary>The citizen's history and the call's row id, read for the call the agent's phone rang for.</summary>
    public void HistoryRead(long agentId, string callId, long? callRowId, CitizenHistory history)
    {
        if (_agents.TryGetValue(agentId, out var agent) && agent.Call?.CallId == callId)
        {
            agent.History = history;
            agent.CallRowId = callRowId;
            agent.HistoryCallId = callId;
            _changedDesks.Add(agentId);
        }
    }

    /// <summary>The call of the agent's desk now (ringing, talking or in wrap-up), if any.</summary>
    public string? CurrentCallOf(long agentId) => _agents.GetValueOrDefault(agentId)?.Call?.CallId;

    public void WrapUpCodeSet(long agentId, string callId, string code)
    {
        if (_agents.TryGetValue(agentId, out var agent) && agent.Call?.CallId == callId)
        {
            agent.WrapUpCode = code;
            _changedDesks.Add(agentId);
        }
    }

    public Board BuildBoard(DateTimeOffset now)
    {
        BoardChanged = false;
        var queues = _queues.Values.OrderBy(q => q.Queue.Code, StringComparer.Ordinal).Select(q =>
        {
            var longest = q.Waiting.Count == 0 ? 0 : Math.Max(0, (now - q.Waiting.Values.Min()).TotalSeconds);
            var (status, reasons) = QueueStatuses.Judge(longest, q.Day, thresholds);
            return new BoardQueue(q.Queue.Id, q.Queue.Code, q.Queue.Name, q.Waiting.Count, Math.Round(longest, 1), q.Day.Offered, q.Day.Answered,
                q.Day.Abandoned, Round(q.Day.ServiceLevel, 4), Round(q.Day.AverageSpeedOfAnswerSeconds, 1),
                _callbacksByDepartment.GetValueOrDefault(q.Queue.DepartmentId), status, reasons);
        }).ToList();
        var agents = _agents.Values.OrderBy(a => a.View.Name, StringComparer.Ordinal).ThenBy(a => a.View.Id).Select(a => new BoardAgent(
            a.View.Id, a.View.Name, a.View.State, a.View.Reason, a.View.Since, a.CallsToday,
            a.Call is { } call ? new BoardCall(call.CallId, call.QueueCode, a.CallPhaseSince) : null)).ToList();
        return new Board(now, new BoardThresholds(
            thresholds.LongestWaitAmberSeconds, thresholds.LongestWaitRedSeconds, thresholds.AbandonRateAmber, thresholds.AbandonRateRed,
            thresholds.ServiceLevelAmber, thresholds.ServiceLevelRed, (int)serviceLevel.TotalSeconds, thresholds.MinimumOffered), queues, agents);
    }

    /// <summary>The desks that changed since the last call, built.</summary>
    public IReadOnlyList<(long AgentId, Desk Desk)> BuildChangedDesks()
    {
        var desks = _changedDesks.Where(_agents.ContainsKey).Select(id => (id, BuildDesk(_agents[id]))).ToList();
        _changedDesks.Clear();
        return desks;
    }

    public Desk? BuildDesk(long agentId) => _agents.TryGetValue(agentId, out var agent) ? BuildDesk(agent) : null;

    private Desk BuildDesk(AgentLive a)
    {
        var skills = a.Skills.Select(s => s.Skill).ToHashSet(StringComparer.Ordinal);
        var queues = _queues.Values.Where(q => skills.Contains(q.Queue.Skill)).Select(q => q.Queue.Code).Order(StringComparer.Ordinal).ToList();
        DeskCall? call = null;
        if (a.Call is { } c && PhaseOf(a.View.State) is { } phase)
        {
            call = new DeskCall(c.CallId, a.CallRowId, phase, c.CallerNumber, c.Language, c.QueueCode, a.WaitSeconds, c.IvrPath, c.Urgent,
                a.CallPhaseSince, a.WrapUpCode);
        }
        return new Desk(new DeskAgent(a.View.Id, a.View.Name, a.View.State, a.View.Reason, a.View.Since, queues), call, call is null ? null : a.History);
    }

    private static string? PhaseOf(string state) => state switch
    {
        "ringing" => DeskPhases.Ringing,
        "on_call" => DeskPhases.Talking,
        "wrap_up" => DeskPhases.WrapUp,
        _ => null,
    };

    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;
}
