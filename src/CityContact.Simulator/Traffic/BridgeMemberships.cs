using System.Collections.Concurrent;
using CityContact.Simulator.Changes;
using CityContact.Simulator.Scripting;

namespace CityContact.Simulator.Traffic;

/// <summary>
/// Which kind of bridge each tracked channel is in, kept from the simulator's state changes (O(1) per change,
/// where a condition over <see cref="AsteriskSimulator.Bridges"/> would copy every bridge for every waiting caller).
/// </summary>
internal sealed class BridgeMemberships : IDisposable
{
    // The INVITE publishes ChannelCreated synchronously on the dialing thread: tracking starts there, so not even a
    // bridge entered before Dial returns (the dialing thread may be preempted for a while) is missed.
    [ThreadStatic]
    private static BridgeMembership? t_dialing;

    private readonly ConcurrentDictionary<string, BridgeMembership> _tracked = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;

    public BridgeMemberships(AsteriskSimulator sim) => _subscription = sim.SubscribeStateChanges(OnChange);

    /// <summary>Runs <paramref name="invite"/> (a trunk Dial) and tracks the bridges of the channel it creates.</summary>
    public (SimulatedCaller Caller, BridgeMembership Membership) Dial(Func<SimulatedCaller> invite)
    {
        var membership = new BridgeMembership(id => _tracked.TryRemove(id, out _));
        t_dialing = membership;
        try
        {
            return (invite(), membership);
        }
        finally
        {
            t_dialing = null;
        }
    }

    // Called under the simulator's lock: only records the change.
    private void OnChange(StateChange change)
    {
        switch (change)
        {
            case ChannelCreated created when t_dialing is { ChannelId: null } dialing:
                dialing.ChannelId = created.Channel.UniqueId;
                _tracked[created.Channel.UniqueId] = dialing;
                break;
            case BridgeEntered entered when _tracked.TryGetValue(entered.Channel.UniqueId, out var membership):
                membership.Set(entered.Bridge.Type);
                break;
            case BridgeLeft left when _tracked.TryGetValue(left.Channel.UniqueId, out var membership):
                membership.Set(null);
                break;
        }
    }

    public void Dispose() => _subscription.Dispose();
}

/// <summary>One channel's bridge: "holding", "mixing" or null, and a task that completes at its next change.</summary>
internal sealed class BridgeMembership(Action<string> untrack) : IDisposable
{
    private readonly Lock _gate = new();
    private string? _bridgeType;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The current bridge type and a task that completes when it changes, read together.</summary>
    public (string? BridgeType, Task Changed) Current
    {
        get
        {
            lock (_gate)
            {
                return (_bridgeType, _changed.Task);
            }
        }
    }

    public void Set(string? bridgeType)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _bridgeType = bridgeType;
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    /// <summary>The channel tracked, once the INVITE created it.</summary>
    public string? ChannelId { get; set; }

    public void Dispose()
    {
        if (ChannelId is { } id)
        {
            untrack(id);
        }
    }
}
