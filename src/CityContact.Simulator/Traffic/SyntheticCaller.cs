using CityContact.Simulator.Scripting;

namespace CityContact.Simulator.Traffic;

/// <summary>
/// One synthetic citizen: dials, presses the drawn menu keys as prompts play, waits in the queue until their patience
/// runs out (or asks for a callback), leaves a voicemail when recorded, and never stays longer than the call limit.
/// </summary>
internal sealed class SyntheticCaller(
    AsteriskSimulator sim,
    SyntheticTrafficOptions options,
    CallerProfile profile,
    BridgeMemberships memberships,
    TrafficTally tally)
{
    /// <summary>How long a caller who pressed 1 for a callback waits for the confirmation prompt before confirming anyway.</summary>
    private static readonly TimeSpan ConfirmationWait = TimeSpan.FromSeconds(5);

    /// <summary>A wait that does not apply at this stage of the call.</summary>
    private static readonly Task Never = new TaskCompletionSource().Task;

    private readonly TimeProvider _time = sim.Options.Time;
    private readonly Random _reactions = new(profile.ReactionSeed);
    private SimulatedCaller _caller = null!;
    private int _promptsHeard;
    private int _keysPressed;
    private DateTimeOffset? _queuedSince;
    private string? _bridgeType;
    private bool _answered;
    private bool _reachedAgent;
    private bool _voicemailLeft;
    private bool _callbackRequested;

    public async Task RunAsync(CancellationToken stopping)
    {
        (_caller, var tracked) = memberships.Dial(() => sim.Trunk.Dial(profile.From, profile.To));
        tally.Increment(ref tally.CallsStarted);
        using var membership = tracked;
        using var limit = new CancellationTokenSource(options.MaxCallDuration, _time);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(stopping, limit.Token);
        try
        {
            while (!await ReactToNextAsync(membership, call.Token))
            {
            }
            if (_caller.Declined)
            {
                tally.Increment(ref tally.CallsDeclined);
            }
        }
        catch (OperationCanceledException) when (call.IsCancellationRequested)
        {
            if (limit.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                tally.Increment(ref tally.CallsCutAtLimit);
            }
            await _caller.HangUpAsync(CancellationToken.None);
        }
        finally
        {
            if (!_caller.HungUp)
            {
                // Whatever went wrong, a synthetic call never outlives its caller's script.
                await _caller.HangUpAsync(CancellationToken.None);
            }
            tally.Increment(ref tally.CallsEnded);
        }
    }

    /// <summary>Waits for whatever happens next on the call and reacts; true once the call is over.</summary>
    private async Task<bool> ReactToNextAsync(BridgeMembership membership, CancellationToken ct)
    {
        var (bridgeType, bridgeChanged) = membership.Current;
        if (bridgeType != _bridgeType)
        {
            // Taken here rather than when the change wins the race below: several things may complete at once.
            OnBridgeChanged(bridgeType);
        }
        var queued = bridgeType == "holding";
        using var stage = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hangup = _caller.WaitForHangupAsync(stage.Token);
        var answer = _answered ? Never : _caller.WaitForAnswerAsync(stage.Token);
        var prompt = _caller.WaitForPlaybackAsync(_promptsHeard + 1, stage.Token);
        var recording = profile.VoicemailLength is not null && !_voicemailLeft ? WaitForRecordingAsync(stage.Token) : Never;
        var patienceOut = queued && !_callbackRequested ? DelayUntilAsync(_queuedSince!.Value + profile.Patience, stage.Token) : Never;
        var callbackMoment = queued && !_callbackRequested && profile.CallbackAfter is { } after
            ? DelayUntilAsync(_queuedSince!.Value + after, stage.Token)
            : Never;

        var next = await Task.WhenAny(hangup, answer, prompt, recording, bridgeChanged, patienceOut, callbackMoment);
        await stage.CancelAsync();
        ct.ThrowIfCancellationRequested();

        if (next == hangup)
        {
            return true;
        }
        if (next == answer)
        {
            _answered = true;
            tally.Increment(ref tally.CallsAnswered);
        }
        else if (next == prompt)
        {
            _promptsHeard++;
            if (!queued && _keysPressed < profile.MenuKeys.Count)
            {
                await Task.Delay(_reactions.Between(options.ReactionDelay), _time, ct);
                await _caller.PressAsync(profile.MenuKeys[_keysPressed++], ct);
            }
        }
        else if (next == recording)
        {
            await LeaveVoicemailAsync(profile.VoicemailLength!.Value, ct);
        }
        else if (next == callbackMoment)
        {
            await RequestCallbackAsync(ct);
        }
        else if (next == patienceOut)
        {
            tally.Increment(ref tally.CallsAbandoned);
            await _caller.HangUpAsync(ct);
            return true;
        }
        return false;
    }

    private void OnBridgeChanged(string? bridgeType)
    {
        _bridgeType = bridgeType;
        if (bridgeType == "holding" && _queuedSince is null)
        {
            // Patience counts from the first time in the queue; a caller moved back to it does not start over.
            _queuedSince = _time.GetUtcNow();
            tally.Increment(ref tally.CallsQueued);
        }
        else if (bridgeType == "mixing" && !_reachedAgent)
        {
            _reachedAgent = true;
            tally.Increment(ref tally.CallsReachedAgent);
        }
    }

    private async Task LeaveVoicemailAsync(TimeSpan length, CancellationToken ct)
    {
        _voicemailLeft = true;
        _caller.Speak(length);
        await Task.Delay(length, _time, ct);
        await _caller.PressAsync("#", ct);
        if (!_caller.HungUp)
        {
            tally.Increment(ref tally.VoicemailsLeft);
        }
    }

    /// <summary>Presses 1 in the queue, waits for the confirmation prompt (or a few seconds), then confirms with 1.</summary>
    private async Task RequestCallbackAsync(CancellationToken ct)
    {
        _callbackRequested = true;
        await _caller.PressAsync("1", ct);
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var confirmation = _caller.WaitForPlaybackAsync(_promptsHeard + 1, wait.Token);
            if (await Task.WhenAny(confirmation, Task.Delay(ConfirmationWait, _time, wait.Token)) == confirmation)
            {
                _promptsHeard++;
            }
            await wait.CancelAsync();
        }
        ct.ThrowIfCancellationRequested();
        await Task.Delay(_reactions.Between(options.ReactionDelay), _time, ct);
        await _caller.PressAsync("1", ct);
        if (!_caller.HungUp)
        {
            tally.Increment(ref tally.CallbacksRequested);
        }
    }

    private Task WaitForRecordingAsync(CancellationToken ct)
    {
        var target = "channel:" + _caller.ChannelId;
        return sim.WaitUntilAsync(s => s.LiveRecordings.Any(r => r.TargetUri == target), ct);
    }

    private Task DelayUntilAsync(DateTimeOffset at, CancellationToken ct)
    {
        var wait = at - _time.GetUtcNow();
        return Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, ct);
    }
}
