using CityContact.Service.Features.Agents;

namespace CityContact.Service.Features.Queues;

/// <summary>
/// What the dispatcher changed, told on its own loop in the order it happened, for live views (the wallboard and the
/// agents' desks). An observer must not block and must not call back into the dispatcher: it copies what it needs and
/// hands it to its own loop.
/// </summary>
public interface IDispatcherObserver
{
    void Changed(DispatcherChange change);
}

public abstract record DispatcherChange(DateTimeOffset At);

/// <summary>The queues and agents as (re)loaded from the database.</summary>
public sealed record QueuesLoaded(DateTimeOffset At, IReadOnlyList<Queue> Queues) : DispatcherChange(At);

/// <summary>
/// An agent's state, after any change; <paramref name="Call"/> is the entry the agent's phone rings for, talks to or
/// wraps up (null otherwise).
/// </summary>
public sealed record AgentChanged(DateTimeOffset At, AgentView Agent, IReadOnlyList<AgentSkill> Skills, QueueEntry? Call) : DispatcherChange(At);

/// <summary>A caller was offered to a queue: <paramref name="Joined"/> false when the queue refused them (full, nobody to serve it).</summary>
public sealed record CallerOffered(DateTimeOffset At, QueueEntry Entry, bool Joined) : DispatcherChange(At);

/// <summary>How a caller left the queue's waiting list.</summary>
public enum QueueLeaving
{
    /// <summary>An agent answered.</summary>
    Answered,

    /// <summary>The caller hung up while waiting.</summary>
    Abandoned,

    /// <summary>Overflow, eviction, a callback chosen, or out of the list while choosing one.</summary>
    Other,
}

public sealed record CallerLeft(DateTimeOffset At, QueueEntry Entry, QueueLeaving How, long? AgentId) : DispatcherChange(At);
