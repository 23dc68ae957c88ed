using System.Threading.Channels;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Ivr;

namespace CityContact.Service.Features.Queues;

/// <summary>Someone waiting in a queue: a caller on the line or a callback request. Mutable fields belong to the dispatcher loop alone.</summary>
public abstract class QueueEntry(Queue queue, int priority, DateTimeOffset joinedAt)
{
    public Queue Queue { get; } = queue;

    public int Priority { get; } = priority;

    public DateTimeOffset JoinedAt { get; } = joinedAt;

    internal long Sequence { get; set; }

    internal HashSet<long> Ringing { get; } = [];

    internal HashSet<long> Tried { get; } = [];

    /// <summary>Hands the dispatcher's offer or eviction to whoever waits (never blocks).</summary>
    internal abstract void Deliver(Stimulus stimulus);
}

/// <summary>A caller on the line, waiting on the call's own coroutine.</summary>
public sealed class CallerEntry(CallHandler call, Queue queue, int priority, DateTimeOffset joinedAt) : QueueEntry(queue, priority, joinedAt)
{
    public CallHandler Call { get; } = call;

    internal override void Deliver(Stimulus stimulus) => Call.Post(stimulus);
}

/// <summary>An agent to ring for a waiting caller.</summary>
public sealed record AgentLine(long AgentId, string Endpoint);

/// <summary>The dispatcher offers the caller these agents (one, or all of them for ring-all).</summary>
internal sealed record QueueOffer(QueueEntry Entry, IReadOnlyList<AgentLine> Agents) : Stimulus;

/// <summary>The dispatcher sends the caller on (the last agent left a leave-when-empty queue).</summary>
internal sealed record QueueEvicted(QueueEntry Entry, string Reason) : Stimulus;

public enum JoinResult
{
    Joined,
    Full,
    NoAgents,
}

public enum RingOutcome
{
    Answered,
    Missed,
    Released,
}

public sealed record AgentView(long Id, string Name, string Endpoint, string State, string? Reason, bool Registered, DateTimeOffset Since, int CallsTaken, int Misses);

public sealed record QueueView(long Id, string Code, int Waiting, double LongestWaitSeconds, IReadOnlyDictionary<string, int> AgentsByState, double AverageHandleSeconds);

public sealed record PositionEstimate(int Position, int AgentsAble, double AverageHandleSeconds, double EstimatedWaitSeconds);

public enum AgentAction
{
    Login,
    Logout,
    ToggleLogin,
    Pause,
    Unpause,
    TogglePause,
}

/// <summary>
/// The automatic call distributor: one loop owns every queue's waiting list and every agent's state, so that an agent
/// can never be offered two calls at once (agents serve several queues; one owner for both avoids cross-queue
/// reservations). Callers' coroutines and REST endpoints talk to it through commands; it talks back by posting to
/// the caller's inbox. Every agent state change is timestamped and appended to agent_state_changes.
/// </summary>
public sealed partial class QueueDispatcher(
    AgentStore agents, QueueStore queues, AgentStateLog stateLog, IOptions<QueueOptions> options, TimeProvider time,
    IEnumerable<IDispatcherObserver> observers, ILogger<QueueDispatcher> logger) : BackgroundService
{
    private readonly IDispatcherObserver[] _observers = [.. observers];

    private readonly Channel<Func<Task>> _commands = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Owned by the loop.
    private readonly Dictionary<long, Seat> _seats = [];
    private readonly Dictionary<string, Queue> _queues = new(StringComparer.Ordinal);
    private readonly List<QueueEntry> _waiting = [];
    private readonly Dictionary<long, long> _roundRobinLast = [];
    private readonly Dictionary<long, Queue<double>> _handleTimes = [];
    private readonly HashSet<string> _onlineEndpoints = new(StringComparer.OrdinalIgnoreCase);

    // Endpoints that sent an event since the last resync began: a listing read before that event must not undo it.
    private readonly HashSet<string> _changedSinceResync = new(StringComparer.OrdinalIgnoreCase);
    private long _sequence;
    private QueueOptions Options => options.Value;

    private sealed class Seat(Agent agent)
    {
        public Agent Agent { get; set; } = agent;
        public bool Registered { get; set; }
        public AgentStatus Chosen { get; set; } = AgentStatus.LoggedOut;
        public AgentStatus Status { get; set; } = AgentStatus.Offline;
        public string? Reason { get; set; }

        /// <summary>Why the agent chose to pause (kept while the phone is offline, shown again when it is back).</summary>
        public string? PauseReason { get; set; }
        public string? StoredState { get; set; }
        public DateTimeOffset Since { get; set; }
        public DateTimeOffset IdleSince { get; set; }
        public int CallsTaken { get; set; }
        public int Misses { get; set; }
        public long WrapUpEpoch { get; set; }
        public QueueEntry? RingingFor { get; set; }

        /// <summary>The caller the agent talks to or wraps up after (for the live views).</summary>
        public QueueEntry? CurrentCall { get; set; }
        public int? PenaltyFor(string skill) => Agent.Skills.FirstOrDefault(s => s.Skill == skill)?.Penalty;
    }

    public Task Loaded => _loaded.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ReloadAsync(stoppingToken);
        }
        catch (Npgsql.NpgsqlException e)
        {
            // Agents and queues are read again on the next admin change or unknown queue; calls meanwhile overflow.
            LogLoadFailed(e.Message);
        }
        finally
        {
            _loaded.TrySetResult();
        }
        await foreach (var command in _commands.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await command();
            }
#pragma warning disable CA1031 // One failed command must not stop distribution for every other caller.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogCommandFailed(e);
            }
        }
    }

    private Task<T> Ask<T>(Func<T> query)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _commands.Writer.TryWrite(() =>
        {
            try
            {
                answer.TrySetResult(query());
            }
#pragma warning disable CA1031 // handed to the asker
            catch (Exception e)
#pragma warning restore CA1031
            {
                answer.TrySetException(e);
            }
            return Task.CompletedTask;
        });
        return answer.Task;
    }

    private void Tell(Action action) => _commands.Writer.TryWrite(() =>
    {
        action();
        return Task.CompletedTask;
    });

    /// <summary>Reads agents and queues again (after an admin change); states in memory and callers waiting are kept.</summary>
    public Task ReloadAgentsAsync(CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _commands.Writer.TryWrite(async () =>
        {
            try
            {
                await ReloadAsync(ct);
                done.TrySetResult();
            }
#pragma warning disable CA1031 // handed to the asker
            catch (Exception e)
#pragma warning restore CA1031
            {
                done.TrySetException(e);
            }
        });
        return done.Task;
    }

    private async Task ReloadAsync(CancellationToken ct)
    {
        var last = await stateLog.LastStatesAsync(ct);
        var now = time.GetUtcNow();
        var listed = await agents.ListAsync(null, ct);
        // A removed (inactive) agent leaves the floor, unless on or offered a call: the next reload after it ends removes them.
        foreach (var gone in _seats.Values.Where(seat => seat.RingingFor is null && seat.Status is not (AgentStatus.Ringing or AgentStatus.OnCall) && !listed.Any(a => a.Id == seat.Agent.Id && a.Active)).ToList())
        {
            _seats.Remove(gone.Agent.Id);
        }
        foreach (var agent in listed.Where(a => a.Active))
        {
            if (_seats.TryGetValue(agent.Id, out var seat))
            {
                seat.Agent = agent;
                continue;
            }
            seat = new Seat(agent) { Since = now, IdleSince = now, Registered = _onlineEndpoints.Contains(agent.SipEndpoint) };
            // After a restart an agent keeps the choice they had made (logged out, paused or working).
            if (last.TryGetValue(agent.Id, out var stored))
            {
                seat.StoredState = stored.State;
                seat.Chosen = stored.State switch
                {
                    "logged_out" => AgentStatus.LoggedOut,
                    "paused" => AgentStatus.Paused,
                    _ => AgentStatus.Available,
                };
                seat.PauseReason = seat.Chosen == AgentStatus.Paused ? stored.Reason : null;
            }
            _seats[agent.Id] = seat;
            Settle(seat);
        }
        foreach (var queue in await queues.ListAsync(ct))
        {
            _queues[queue.Code] = queue;
        }
        Publish(new QueuesLoaded(now, [.. _queues.Values.OrderBy(q => q.Code)]));
        foreach (var seat in _seats.Values)
        {
            PublishAgent(seat, now);
        }
        Dispatch();
    }

    /// <summary>The first queue of a department (by code), where its callbacks wait.</summary>
    public async Task<Queue?> QueueOfDepartmentAsync(long departmentId, CancellationToken ct)
    {
        if (await Ask(() => _queues.Values.Where(q => q.DepartmentId == departmentId).OrderBy(q => q.Code).FirstOrDefault()) is { } known)
        {
            return known;
        }
        var fresh = (await queues.ListAsync(ct)).FirstOrDefault(q => q.DepartmentId == departmentId);
        if (fresh is not null)
        {
            Tell(() => _queues[fresh.Code] = fresh);
        }
        return fresh;
    }

    /// <summary>The queue by code; one created since the last load (e.g. by the first-start seeder) is read on demand.</summary>
    public async Task<Queue?> QueueAsync(string code, CancellationToken ct)
    {
        if (await Ask(() => _queues.GetValueOrDefault(code)) is { } known)
        {
            return known;
        }
        Queue? fresh;
        try
        {
            fresh = (await queues.ListAsync(ct)).FirstOrDefault(q => q.Code == code);
        }
        catch (Npgsql.NpgsqlException e)
        {
            LogLoadFailed(e.Message);
            return null;
        }
        if (fresh is not null)
        {
            Tell(() => _queues[fresh.Code] = fresh);
        }
        return fresh;
    }

    public Task<JoinResult> JoinAsync(QueueEntry entry) => Ask(() =>
    {
        var inQueue = _waiting.Count(e => e.Queue.Id == entry.Queue.Id);
        if (inQueue >= entry.Queue.MaxCallers)
        {
            Publish(new CallerOffered(time.GetUtcNow(), entry, Joined: false));
            return JoinResult.Full;
        }
        if (Options.NoAgentsOf(entry.Queue.Code) == NoAgentsPolicy.LeaveWhenEmpty && AgentsAble(entry.Queue) == 0)
        {
            Publish(new CallerOffered(time.GetUtcNow(), entry, Joined: false));
            return JoinResult.NoAgents;
        }
        entry.Sequence = ++_sequence;
        _waiting.Add(entry);
        Publish(new CallerOffered(time.GetUtcNow(), entry, Joined: true));
        Dispatch();
        return JoinResult.Joined;
    });

    /// <summary>
    /// The caller left the queue (hung up, timed out, chose a callback): agents ringing for them are freed.
    /// <paramref name="abandoned"/>: the caller hung up while waiting (counted so on the wallboard).
    /// </summary>
    public void Leave(QueueEntry entry, bool abandoned = false) => Tell(() =>
    {
        if (_waiting.Remove(entry))
        {
            Publish(new CallerLeft(time.GetUtcNow(), entry, abandoned ? QueueLeaving.Abandoned : QueueLeaving.Other, null));
        }
        foreach (var seat in _seats.Values.Where(s => s.RingingFor == entry))
        {
            seat.RingingFor = null;
            Settle(seat);
        }
        entry.Ringing.Clear();
        Dispatch();
    });

    public void RingEnded(QueueEntry entry, long agentId, RingOutcome outcome) => Tell(() =>
    {
        if (!_seats.TryGetValue(agentId, out var seat) || seat.RingingFor != entry)
        {
            return;
        }
        seat.RingingFor = null;
        entry.Ringing.Remove(agentId);
        var now = time.GetUtcNow();
        switch (outcome)
        {
            case RingOutcome.Answered:
                if (_waiting.Remove(entry))
                {
                    Publish(new CallerLeft(now, entry, QueueLeaving.Answered, agentId));
                }
                seat.Misses = 0;
                seat.CallsTaken++;
                seat.CurrentCall = entry;
                Change(seat, AgentStatus.OnCall, null, now);
                break;
            case RingOutcome.Missed:
                entry.Tried.Add(agentId);
                seat.Misses++;
                if (seat.Misses >= Options.MaxMissesBeforePause)
                {
                    // The count stays as it was when it paused the agent (what a supervisor reads); an unpause resets it.
                    seat.Chosen = AgentStatus.Paused;
                    seat.PauseReason = "missed-calls";
                    Settle(seat);
                }
                else
                {
                    Settle(seat);
                }
                break;
            default:
                Settle(seat);
                break;
        }
        Dispatch();
    });

    /// <summary>The agent's call ended: wrap-up for the configured time, then available again.</summary>
    public void TalkEnded(long agentId, long queueId, TimeSpan talk) => Tell(() =>
    {
        if (!_seats.TryGetValue(agentId, out var seat))
        {
            return;
        }
        var handle = talk.TotalSeconds + Options.WrapUpSeconds;
        var times = _handleTimes.TryGetValue(queueId, out var q) ? q : _handleTimes[queueId] = new Queue<double>();
        times.Enqueue(handle);
        while (times.Count > Options.HandleTimeWindow)
        {
            times.Dequeue();
        }
        if (seat.Status != AgentStatus.OnCall)
        {
            return;
        }
        var epoch = ++seat.WrapUpEpoch;
        Change(seat, AgentStatus.WrapUp, null, time.GetUtcNow());
        ITimer? timer = null;
        timer = time.CreateTimer(_ =>
        {
            timer?.Dispose();
            Tell(() =>
            {
                if (seat.Status == AgentStatus.WrapUp && seat.WrapUpEpoch == epoch)
                {
                    seat.IdleSince = time.GetUtcNow();
                    Settle(seat, wrapUpOver: true);
                    Dispatch();
                }
            });
        }, null, TimeSpan.FromSeconds(Options.WrapUpSeconds), Timeout.InfiniteTimeSpan);
    });

    /// <summary>
    /// The agent ends their wrap-up before its time (from the desk): available again at once, or in the state they chose.
    /// False when the agent is unknown or not in wrap-up.
    /// </summary>
    public Task<bool> EndWrapUpAsync(long agentId) => Ask(() =>
    {
        if (!_seats.TryGetValue(agentId, out var seat) || seat.Status != AgentStatus.WrapUp)
        {
            return false;
        }
        seat.WrapUpEpoch++;
        seat.IdleSince = time.GetUtcNow();
        Settle(seat, wrapUpOver: true);
        Dispatch();
        return true;
    });

    /// <summary>
    /// After a restart, an agent found still talking to a re-adopted caller: on a call (never offered another) until
    /// <see cref="TalkEnded"/>.
    /// </summary>
    public void TalkResumed(long agentId) => Tell(() =>
    {
        if (_seats.TryGetValue(agentId, out var seat))
        {
            Change(seat, AgentStatus.OnCall, null, time.GetUtcNow());
        }
    });

    /// <summary>A login/logout/pause by the agent (feature code) or a supervisor; null when the agent is unknown.</summary>
    public Task<AgentView?> ActAsync(long agentId, AgentAction action, string? reason) => Ask(() =>
    {
        if (!_seats.TryGetValue(agentId, out var seat))
        {
            return null;
        }
        var loggedIn = seat.Chosen != AgentStatus.LoggedOut;
        var paused = seat.Chosen == AgentStatus.Paused;
        seat.Chosen = action switch
        {
            AgentAction.Login => paused ? AgentStatus.Paused : AgentStatus.Available,
            AgentAction.Logout => AgentStatus.LoggedOut,
            AgentAction.ToggleLogin => loggedIn ? AgentStatus.LoggedOut : AgentStatus.Available,
            AgentAction.Pause => AgentStatus.Paused,
            AgentAction.Unpause => loggedIn ? AgentStatus.Available : AgentStatus.LoggedOut,
            AgentAction.TogglePause => !loggedIn ? AgentStatus.LoggedOut : paused ? AgentStatus.Available : AgentStatus.Paused,
            _ => seat.Chosen,
        };
        if (seat.Chosen == AgentStatus.Available)
        {
            seat.Misses = 0;
        }
        if (seat.Chosen == AgentStatus.Paused)
        {
            // A pause toggled on without a reason (the deskphone's *46) is a break; pausing again keeps the reason.
            seat.PauseReason = reason ?? (paused ? seat.PauseReason : null) ?? "break";
        }
        Settle(seat);
        EvictIfEmpty();
        Dispatch();
        return View(seat);
    });

    /// <summary>The agent whose deskphone has this caller id (the endpoint's resource, e.g. 101 for PJSIP/101).</summary>
    public Task<long?> AgentByCallerIdAsync(string callerId) => Ask(() =>
        _seats.Values.FirstOrDefault(s => s.Agent.SipEndpoint.EndsWith("/" + callerId, StringComparison.OrdinalIgnoreCase))?.Agent.Id);

    /// <summary>A listing of the deskphones is about to be read: device states from now on are newer than it.</summary>
    public void EndpointResyncStarted() => Tell(_changedSinceResync.Clear);

    /// <summary>
    /// A deskphone (<c>PJSIP/101</c>) registered or not, from a device state change or (<paramref name="fromListing"/>)
    /// from a listing, which is ignored for a phone whose change arrived after the resync began: the listing may have
    /// been read before it. A phone that is not registered makes its agent offline.
    /// </summary>
    public void PhoneChanged(string name, bool online, bool fromListing = false) => Tell(() =>
    {
        if (!fromListing)
        {
            _changedSinceResync.Add(name);
        }
        else if (_changedSinceResync.Contains(name))
        {
            return;
        }
        // Device states also change with every call the phone rings or takes; only registration matters here.
        if (_onlineEndpoints.Contains(name) == online && !fromListing)
        {
            return;
        }
        if (online)
        {
            _onlineEndpoints.Add(name);
        }
        else
        {
            _onlineEndpoints.Remove(name);
        }
        foreach (var seat in _seats.Values.Where(s => string.Equals(s.Agent.SipEndpoint, name, StringComparison.OrdinalIgnoreCase)))
        {
            seat.Registered = online;
            Settle(seat);
        }
        EvictIfEmpty();
        Dispatch();
    });

    public Task<IReadOnlyList<AgentView>> AgentsAsync() => Ask<IReadOnlyList<AgentView>>(() => [.. _seats.Values.OrderBy(s => s.Agent.Id).Select(View)]);

    public Task<IReadOnlyList<QueueView>> QueuesAsync() => Ask<IReadOnlyList<QueueView>>(() =>
    {
        var now = time.GetUtcNow();
        return [.. _queues.Values.OrderBy(q => q.Code).Select(q =>
        {
            var waiting = _waiting.Where(e => e.Queue.Id == q.Id).ToList();
            var byState = _seats.Values.Where(s => s.PenaltyFor(q.Skill) is not null)
                .GroupBy(s => AgentStatusNames.Api(s.Status)).ToDictionary(g => g.Key, g => g.Count());
            return new QueueView(q.Id, q.Code, waiting.Count, waiting.Count == 0 ? 0 : waiting.Max(e => (now - e.JoinedAt).TotalSeconds), byState, AverageHandle(q.Id));
        })];
    });

    /// <summary>
    /// The caller's place and estimated wait: callers ahead of them who no free agent will take at once, shared among
    /// the agents able to take the call, times the queue's rolling average handle time (talk + wrap-up).
    /// </summary>
    public Task<PositionEstimate?> EstimateAsync(QueueEntry entry) => Ask(() =>
    {
        var ordered = Ordered().Where(e => e.Queue.Id == entry.Queue.Id).ToList();
        var index = ordered.IndexOf(entry);
        if (index < 0)
        {
            return null;
        }
        return Estimate(entry.Queue, index + 1);
    });

    private PositionEstimate Estimate(Queue queue, int position)
    {
        var able = AgentsAble(queue);
        var free = _seats.Values.Count(s => s.Status == AgentStatus.Available && s.PenaltyFor(queue.Skill) is not null);
        var handle = AverageHandle(queue.Id);
        return new PositionEstimate(position, able, handle, EstimateWaitSeconds(position, free, able, handle));
    }

    /// <summary>
    /// The announced wait (README, Queues): the callers ahead who no free agent takes at once, shared among the agents
    /// able to take the call, times the rolling average handle time; with nobody able, one handle time per position.
    /// </summary>
    public static double EstimateWaitSeconds(int position, int freeAgents, int agentsAble, double averageHandleSeconds) =>
        agentsAble == 0 ? averageHandleSeconds * position : Math.Max(0, position - freeAgents) * averageHandleSeconds / agentsAble;

    private double AverageHandle(long queueId) =>
        _handleTimes.TryGetValue(queueId, out var times) && times.Count > 0 ? times.Average() : Options.DefaultHandleSeconds;

    private int AgentsAble(Queue queue) => _seats.Values.Count(s => s.PenaltyFor(queue.Skill) is not null
        && s.Status is AgentStatus.Available or AgentStatus.Ringing or AgentStatus.OnCall or AgentStatus.WrapUp);

    // A callback waits as though it had joined at its request's time: a caller who chose one keeps their place.
    private IEnumerable<QueueEntry> Ordered() => _waiting.OrderByDescending(e => e.Priority).ThenBy(e => e.JoinedAt).ThenBy(e => e.Sequence);

    /// <summary>
    /// Offers every waiting caller (urgent first, FIFO within a level) the agent the queue's strategy picks. The free
    /// agents are read once per pass and the pass stops when none is left: with thousands waiting and every agent
    /// busy, a join or a hang-up costs one scan of the seats, not one per waiting caller.
    /// </summary>
    private void Dispatch()
    {
        var free = _seats.Values.Where(s => s.Status == AgentStatus.Available).ToList();
        if (free.Count == 0)
        {
            return;
        }
        foreach (var entry in Ordered().Where(e => e.Ringing.Count == 0).ToList())
        {
            var skill = entry.Queue.Skill;
            var able = free.Where(s => s.PenaltyFor(skill) is not null).ToList();
            if (able.Count == 0)
            {
                continue;
            }
            var untried = able.Where(s => !entry.Tried.Contains(s.Agent.Id)).ToList();
            if (untried.Count == 0)
            {
                // Every free agent has missed this caller once: go round again.
                entry.Tried.Clear();
                untried = able;
            }
            var best = untried.Min(s => s.PenaltyFor(skill)!.Value);
            var tier = untried.Where(s => s.PenaltyFor(skill) == best).OrderBy(s => s.Agent.Id).ToList();
            var chosen = Options.StrategyOf(entry.Queue.Code) switch
            {
                QueueStrategy.RingAll => tier,
                QueueStrategy.FewestCalls => [tier.OrderBy(s => s.CallsTaken).ThenBy(s => s.IdleSince).First()],
                QueueStrategy.RoundRobin => [NextAfter(tier, _roundRobinLast.GetValueOrDefault(entry.Queue.Id))],
                QueueStrategy.Linear => [tier[0]],
                _ => [tier.OrderBy(s => s.IdleSince).First()],
            };
            _roundRobinLast[entry.Queue.Id] = chosen[^1].Agent.Id;
            var now = time.GetUtcNow();
            foreach (var seat in chosen)
            {
                seat.RingingFor = entry;
                entry.Ringing.Add(seat.Agent.Id);
                Change(seat, AgentStatus.Ringing, null, now);
                free.Remove(seat);
            }
            entry.Deliver(new QueueOffer(entry, [.. chosen.Select(s => new AgentLine(s.Agent.Id, s.Agent.SipEndpoint))]));
            if (free.Count == 0)
            {
                return;
            }
        }
    }

    private static Seat NextAfter(List<Seat> tier, long last) => tier.FirstOrDefault(s => s.Agent.Id > last) ?? tier[0];

    /// <summary>Leave-when-empty: callers of a queue nobody can serve any more are sent on.</summary>
    private void EvictIfEmpty()
    {
        var served = new Dictionary<long, bool>();
        foreach (var entry in _waiting.Where(e => Options.NoAgentsOf(e.Queue.Code) == NoAgentsPolicy.LeaveWhenEmpty).ToList())
        {
            if (!served.TryGetValue(entry.Queue.Id, out var anyAble))
            {
                served[entry.Queue.Id] = anyAble = AgentsAble(entry.Queue) > 0;
            }
            if (!anyAble)
            {
                _waiting.Remove(entry);
                Publish(new CallerLeft(time.GetUtcNow(), entry, QueueLeaving.Other, null));
                entry.Deliver(new QueueEvicted(entry, "no-agents"));
            }
        }
    }

    /// <summary>Puts the seat in the state its agent chose, unless the phone or a call decides otherwise.</summary>
    private void Settle(Seat seat, bool wrapUpOver = false)
    {
        if (seat.RingingFor is not null || seat.Status is AgentStatus.OnCall
            || (seat.Status is AgentStatus.WrapUp && seat.Chosen == AgentStatus.Available && seat.Registered && !wrapUpOver))
        {
            return;
        }
        var next = !seat.Registered ? AgentStatus.Offline : seat.Chosen;
        Change(seat, next, next == AgentStatus.Paused ? seat.PauseReason : next == AgentStatus.Offline ? "offline" : null, time.GetUtcNow());
    }

    private void Change(Seat seat, AgentStatus next, string? reason, DateTimeOffset now)
    {
        if (seat.Status == next && seat.Reason == reason)
        {
            return;
        }
        if (next == AgentStatus.Available && seat.Status != AgentStatus.Ringing)
        {
            seat.IdleSince = now;
        }
        seat.Status = next;
        seat.Reason = reason;
        seat.Since = now;
        if (next is not (AgentStatus.OnCall or AgentStatus.WrapUp))
        {
            seat.CurrentCall = null;
        }
        var stored = AgentStatusNames.Stored(next);
        if (stored is not null && (stored != seat.StoredState || next == AgentStatus.Paused))
        {
            seat.StoredState = stored;
            stateLog.Append(new AgentStateChange(seat.Agent.Id, now, stored, reason));
        }
        PublishAgent(seat, now);
    }

    private void PublishAgent(Seat seat, DateTimeOffset now) =>
        Publish(new AgentChanged(now, View(seat), seat.Agent.Skills, seat.RingingFor ?? seat.CurrentCall));

    private void Publish(DispatcherChange change)
    {
        foreach (var observer in _observers)
        {
            try
            {
                observer.Changed(change);
            }
#pragma warning disable CA1031 // A live view that fails must not stop distribution.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogObserverFailed(e);
            }
        }
    }

    private static AgentView View(Seat s) => new(s.Agent.Id, s.Agent.Name, s.Agent.SipEndpoint, AgentStatusNames.Api(s.Status), s.Reason, s.Registered, s.Since, s.CallsTaken, s.Misses);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading agents and queues failed: {Error}")]
    private partial void LogLoadFailed(string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A live view failed on a dispatcher change")]
    private partial void LogObserverFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "A queue dispatcher command failed")]
    private partial void LogCommandFailed(Exception e);
}
