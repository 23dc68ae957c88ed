using CityContact.Telephony.Ari.Models;
using Microsoft.Extensions.Logging;

namespace CityContact.Telephony.Ari;

/// <summary>
/// Hands events to a handler in order per lane (<see cref="AriEventLanes.KeyOf"/>: one call's events never
/// overtake each other) while lanes run independently (one slow call never holds up another).
/// A lane exists only while it has work: it is created by the first event, drained by one worker on the
/// thread pool and released when empty, so finished calls leave nothing behind. Each lane holds at most
/// <c>capacity</c> waiting events; beyond that <see cref="DispatchAsync"/> waits, which pushes back on the
/// WebSocket reader instead of letting memory grow. A handler that throws is logged and the lane goes on.
/// </summary>
public sealed class AriEventDispatcher : IAsyncDisposable
{
    public delegate ValueTask Handler(AriMessage message, CancellationToken cancellationToken);

    // Reusing released lanes keeps a busy system from allocating a queue per call burst; the bound
    // keeps a past peak of simultaneous calls from pinning memory forever.
    private const int MaxSpareLanes = 512;

    private readonly Handler _handler;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private readonly Stack<Lane> _spareLanes = new();
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource? _idle;

    public AriEventDispatcher(Handler handler, ILogger<AriEventDispatcher> logger, int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _handler = handler;
        _logger = logger;
        _capacity = capacity;
    }

    /// <summary>Lanes that currently have events queued or running.</summary>
    public int ActiveLanes
    {
        get
        {
            lock (_gate)
            {
                return _lanes.Count;
            }
        }
    }

    /// <summary>
    /// Queues the message on its lane. Completes at once unless that lane is full; then it completes when
    /// the lane's handler has made room. Messages given by one caller keep their order within a lane.
    /// </summary>
    public ValueTask DispatchAsync(AriMessage message, CancellationToken cancellationToken)
    {
        var key = AriEventLanes.KeyOf(message);
        lock (_gate)
        {
            if (TryEnqueue(key, message))
            {
                return ValueTask.CompletedTask;
            }
        }
        return WaitAndDispatchAsync(key, message, cancellationToken);
    }

    /// <summary>Completes when every lane has handled everything queued so far.</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_lanes.Count == 0)
            {
                return Task.CompletedTask;
            }
            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _stopping.Dispose();
    }

    private async ValueTask WaitAndDispatchAsync(string key, AriMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task roomMade;
            lock (_gate)
            {
                if (TryEnqueue(key, message))
                {
                    return;
                }
                var lane = _lanes[key];
                lane.RoomMade ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                roomMade = lane.RoomMade.Task;
            }
            await roomMade.WaitAsync(cancellationToken);
        }
    }

    // Called under _gate.
    private bool TryEnqueue(string key, AriMessage message)
    {
        if (!_lanes.TryGetValue(key, out var lane))
        {
            lane = _spareLanes.TryPop(out var spare) ? spare : new Lane(this);
            lane.Key = key;
            lane.Scope = new LaneScope(key);
            _lanes.Add(key, lane);
        }
        if (lane.Queue.Count >= _capacity)
        {
            return false;
        }
        lane.Queue.Enqueue(message);
        if (!lane.Running)
        {
            lane.Running = true;
            ThreadPool.UnsafeQueueUserWorkItem(lane, preferLocal: false);
        }
        return true;
    }

    private async Task DrainAsync(Lane lane)
    {
        var token = _stopping.Token;
        while (true)
        {
            AriMessage message;
            lock (_gate)
            {
                if (!lane.Queue.TryDequeue(out message!))
                {
                    Release(lane);
                    return;
                }
                if (lane.RoomMade is { } roomMade)
                {
                    lane.RoomMade = null;
                    roomMade.TrySetResult();
                }
            }
            try
            {
                // The handler's log lines carry the lane (the channel id, mostly) without each one naming it.
                using (_logger.BeginScope(lane.Scope))
                {
                    await _handler(message, token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A handler's failure must not stop the events of its call or of any other.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.LogError(ex, "ARI handler failed on {EventType} for lane {Lane}; continuing with the next event", message.Type, lane.Key);
            }
        }
    }

    // Called under _gate with the lane's queue empty.
    private void Release(Lane lane)
    {
        lane.Running = false;
        _lanes.Remove(lane.Key);
        lane.Key = "";
        if (_spareLanes.Count < MaxSpareLanes)
        {
            _spareLanes.Push(lane);
        }
        if (_lanes.Count == 0 && _idle is { } idle)
        {
            _idle = null;
            idle.TrySetResult();
        }
    }

    private sealed class Lane(AriEventDispatcher owner) : IThreadPoolWorkItem
    {
        public readonly Queue<AriMessage> Queue = new();
        public string Key = "";
        public LaneScope Scope = new("");
        public bool Running;
        public TaskCompletionSource? RoomMade;

        public void Execute() => _ = owner.DrainAsync(this);
    }
}

/// <summary>Log scope of one lane: a single structured property, <c>AriLane</c>.</summary>
internal sealed class LaneScope(string key) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new("AriLane", key) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "AriLane:" + key;
}
