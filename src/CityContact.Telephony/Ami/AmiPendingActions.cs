namespace CityContact.Telephony.Ami;

/// <summary>
/// Actions waiting for their answer, keyed by ActionID. A response with <c>EventList: start</c> keeps its entry open
/// and collects the list events with the same ActionID until the <c>EventList: Complete</c> event.
/// Once <see cref="FailAll"/> has run, nothing more can be registered: the connection is gone.
/// </summary>
internal sealed class AmiPendingActions
{
    private readonly Dictionary<string, PendingAction> _pending = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Exception? _closedWith;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public Task<AmiResponse> Register(string actionId)
    {
        var pending = new PendingAction();
        lock (_gate)
        {
            if (_closedWith is not null)
            {
                return Task.FromException<AmiResponse>(_closedWith);
            }
            if (!_pending.TryAdd(actionId, pending))
            {
                throw new InvalidOperationException($"ActionID '{actionId}' is already pending.");
            }
        }
        return pending.Completion.Task;
    }

    public void Forget(string actionId)
    {
        lock (_gate)
        {
            _pending.Remove(actionId);
        }
    }

    /// <summary>Hands a frame to the action it answers. False when no pending action wants it (an unsolicited event).</summary>
    public bool TryDeliver(AmiMessage message)
    {
        var actionId = message.ActionId;
        if (actionId is null)
        {
            return false;
        }

        PendingAction? pending;
        lock (_gate)
        {
            if (!_pending.TryGetValue(actionId, out pending))
            {
                return false;
            }

            if (message.IsResponse && pending.Response is null)
            {
                pending.Response = message;
                if (message.StartsEventList)
                {
                    return true;
                }
                _pending.Remove(actionId);
            }
            else if (message.IsEvent && pending.Response is { } response && response.StartsEventList)
            {
                if (!message.CompletesEventList)
                {
                    pending.Events.Add(message);
                    return true;
                }
                pending.CompletionEvent = message;
                _pending.Remove(actionId);
            }
            else
            {
                // An event that merely carries the ActionID (OriginateResponse after the Response): not ours to keep.
                return false;
            }
        }

        pending.Completion.TrySetResult(new AmiResponse(pending.Response!, pending.Events, pending.CompletionEvent));
        return true;
    }

    public void FailAll(Exception reason)
    {
        PendingAction[] failed;
        lock (_gate)
        {
            _closedWith ??= reason;
            failed = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var pending in failed)
        {
            pending.Completion.TrySetException(reason);
        }
    }

    private sealed class PendingAction
    {
        public TaskCompletionSource<AmiResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public AmiMessage? Response { get; set; }

        public List<AmiMessage> Events { get; } = [];

        public AmiMessage? CompletionEvent { get; set; }
    }
}
