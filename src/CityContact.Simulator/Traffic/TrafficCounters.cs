namespace CityContact.Simulator.Traffic;

/// <summary>What synthetic traffic has done so far (a snapshot).</summary>
/// <param name="CallsStarted">INVITEs sent by synthetic callers.</param>
/// <param name="CallsDeclined">Calls refused because no application served them (603).</param>
/// <param name="CallsAnswered">Calls the application answered.</param>
/// <param name="CallsQueued">Calls that entered a holding bridge.</param>
/// <param name="CallsReachedAgent">Calls that entered a mixing bridge (talking to someone).</param>
/// <param name="CallsAbandoned">Callers who hung up because their patience in the queue ran out.</param>
/// <param name="VoicemailsLeft">Callers who spoke into a recording and pressed #.</param>
/// <param name="CallbacksRequested">Callers who pressed 1 in the queue and confirmed with 1.</param>
/// <param name="CallsCutAtLimit">Calls the caller ended at <see cref="SyntheticTrafficOptions.MaxCallDuration"/>.</param>
/// <param name="CallsEnded">Calls that are over, whoever hung up.</param>
/// <param name="AgentCallsAnswered">Calls synthetic agents answered.</param>
/// <param name="AgentCallsHandled">Calls synthetic agents finished (hung up or were hung up on).</param>
/// <param name="AgentCallsMissed">Calls that rang a synthetic agent who did not hear the phone.</param>
/// <param name="AgentWrapUpsClosed">Wrap-ups synthetic agents closed at their desk with a code.</param>
/// <param name="AgentBreaksTaken">Breaks synthetic agents took (paused at their desk with a reason).</param>
public sealed record TrafficCounters(
    long CallsStarted,
    long CallsDeclined,
    long CallsAnswered,
    long CallsQueued,
    long CallsReachedAgent,
    long CallsAbandoned,
    long VoicemailsLeft,
    long CallbacksRequested,
    long CallsCutAtLimit,
    long CallsEnded,
    long AgentCallsAnswered,
    long AgentCallsHandled,
    long AgentCallsMissed,
    long AgentWrapUpsClosed,
    long AgentBreaksTaken)
{
    public long CallsInProgress => CallsStarted - CallsEnded;
}

/// <summary>The mutable tallies behind <see cref="TrafficCounters"/>: incremented from many tasks, waited on by tests and logs.</summary>
internal sealed class TrafficTally
{
    private readonly Lock _gate = new();
    private readonly List<(Func<TrafficCounters, bool> Condition, TaskCompletionSource Done)> _waiters = [];
    public long CallsStarted;
    public long CallsDeclined;
    public long CallsAnswered;
    public long CallsQueued;
    public long CallsReachedAgent;
    public long CallsAbandoned;
    public long VoicemailsLeft;
    public long CallbacksRequested;
    public long CallsCutAtLimit;
    public long CallsEnded;
    public long AgentCallsAnswered;
    public long AgentCallsHandled;
    public long AgentCallsMissed;
    public long AgentWrapUpsClosed;
    public long AgentBreaksTaken;

    /// <summary>Adds one to <paramref name="counter"/> (a field of this tally) and wakes the waiters whose condition now holds.</summary>
    public void Increment(ref long counter)
    {
        Interlocked.Increment(ref counter);
        lock (_gate)
        {
            if (_waiters.Count == 0)
            {
                return;
            }
            var snapshot = Snapshot();
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition(snapshot))
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public async Task WaitUntilAsync(Func<TrafficCounters, bool> condition, CancellationToken ct)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (condition(Snapshot()))
            {
                return;
            }
            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, done));
        }
        using var registration = ct.Register(() =>
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.Done == done);
            }
            done.TrySetCanceled(ct);
        });
        await done.Task;
    }

    public TrafficCounters Snapshot() => new(
        Interlocked.Read(ref CallsStarted), Interlocked.Read(ref CallsDeclined), Interlocked.Read(ref CallsAnswered),
        Interlocked.Read(ref CallsQueued), Interlocked.Read(ref CallsReachedAgent), Interlocked.Read(ref CallsAbandoned),
        Interlocked.Read(ref VoicemailsLeft), Interlocked.Read(ref CallbacksRequested), Interlocked.Read(ref CallsCutAtLimit),
        Interlocked.Read(ref CallsEnded), Interlocked.Read(ref AgentCallsAnswered), Interlocked.Read(ref AgentCallsHandled),
        Interlocked.Read(ref AgentCallsMissed), Interlocked.Read(ref AgentWrapUpsClosed), Interlocked.Read(ref AgentBreaksTaken));
}
