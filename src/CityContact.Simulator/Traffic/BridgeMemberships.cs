using System.Collections.Concurrent;
using CityContact.Simulator.Changes;

namespace CityContact.Simulator.Traffic;

/// <summary>
/// Which kind of bridge each tracked channel is in, kept from the simulator's state changes (O(1) per change,
/// where a condition over <see cref="AsteriskSimulator.Bridges"/> would copy every bridge for every waiting caller).
/// </summary>
internal sealed class BridgeMemberships : IDisposable
{
    private readonly ConcurrentDictionary<string, BridgeMembership> _tracked = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;

    public BridgeMemberships(AsteriskSimulator sim) => _subscription = sim.SubscribeStateChanges(OnChange);

    /// <summary>
    /// Starts tracking <paramref name="channelId"/>. Call it right after the INVITE: an application needs several REST
    /// round trips after StasisStart before it can put the channel in a bridge, so no bridge change is missed.
    /// </summary>
    public BridgeMembership Track(string channelId)
    {
        var membership = new BridgeMembership(() => _tracked.TryRemove(channelId, out _));
        _tracked[channelId] = membership;
        return membership;
    }

    // Called under the simulator's lock: only records the change.
    private void OnChange(StateChange change)
    {
        switch (change)
        {
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
internal sealed class BridgeMembership(Action untrack) : IDisposable
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

    public void Dispose() => untrack();
}
