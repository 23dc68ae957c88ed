using CityContact.Simulator.Scripting;

namespace CityContact.Simulator.Traffic;

/// <summary>
/// One synthetic agent at a deskphone, behaving as a person does: answers after a few rings (and now and then does not
/// hear the phone), talks for a drawn handle time and hangs up (unless the citizen does first), does the after-call
/// work and closes the wrap-up with a code, and every so often takes a break with a pause reason, then comes back.
/// Breaks and wrap-ups go through <see cref="SyntheticTrafficOptions.AgentDesk"/>; without one, the agent takes no
/// breaks and the phone treats calls during the after-call work as <see cref="SyntheticTrafficOptions.WrapUpRefusal"/> says.
/// </summary>
internal sealed class SyntheticAgent(AsteriskSimulator sim, SyntheticTrafficOptions options, string endpoint, int seed, TrafficTally tally)
{
    private static readonly Task Never = new TaskCompletionSource().Task;

    private readonly TimeProvider _time = sim.Options.Time;
    private readonly Random _random = new(seed);
    private readonly ISyntheticAgentDesk? _desk = options.AgentDesk;

    public async Task RunAsync(CancellationToken stopping)
    {
        var phone = sim.Phone(endpoint);
        // How the next call is answered is drawn before it can ring, the first one included (hence before registering).
        var missNext = DrawRing(phone);
        await phone.RegisterAsync(stopping);
        var nextBreak = NextBreakAt();
        try
        {
            while (true)
            {
                using var stage = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                var rings = sim.WaitUntilAsync(_ => phone.CurrentChannelId is not null, stage.Token);
                var breakDue = nextBreak is { } at ? DelayUntilAsync(at, stage.Token) : Never;
                var first = await Task.WhenAny(rings, breakDue);
                await stage.CancelAsync();
                stopping.ThrowIfCancellationRequested();
                if (first == rings || phone.CurrentChannelId is not null)
                {
                    await TakeCallAsync(phone, missNext, stopping);
                    missNext = DrawRing(phone);
                    continue;
                }
                await TakeBreakAsync(phone, stopping);
                missNext = DrawRing(phone);
                nextBreak = NextBreakAt();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await phone.HangUpAsync(CancellationToken.None);
            await phone.UnregisterAsync(CancellationToken.None);
        }
    }

    /// <summary>The phone rings: answered (after the drawn delay) and handled, or left ringing when the agent misses it.</summary>
    private async Task TakeCallAsync(SimulatedPhone phone, bool missed, CancellationToken stopping)
    {
        var channel = phone.CurrentChannelId;
        var gone = sim.WaitUntilAsync(_ => phone.CurrentChannelId != channel, stopping);
        if (missed)
        {
            await gone;
            tally.Increment(ref tally.AgentCallsMissed);
            return;
        }
        using var ringing = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var answered = phone.WaitForAnsweredCallAsync(ringing.Token);
        var first = await Task.WhenAny(answered, gone);
        await ringing.CancelAsync();
        stopping.ThrowIfCancellationRequested();
        if (first != answered || !answered.IsCompletedSuccessfully)
        {
            // The citizen hung up, or the service took the call elsewhere, while the phone was ringing.
            return;
        }
        tally.Increment(ref tally.AgentCallsAnswered);
        await TalkAsync(phone, phone.CurrentChannelId, stopping);
        tally.Increment(ref tally.AgentCallsHandled);
        await AfterCallWorkAsync(phone, stopping);
    }

    private async Task TalkAsync(SimulatedPhone phone, string? callId, CancellationToken stopping)
    {
        using var talk = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var otherSideHungUp = sim.WaitUntilAsync(_ => phone.CurrentChannelId != callId, talk.Token);
        var handled = Task.Delay(_random.Exponential(options.MeanHandleTime), _time, talk.Token);
        var first = await Task.WhenAny(otherSideHungUp, handled);
        await talk.CancelAsync();
        stopping.ThrowIfCancellationRequested();
        if (first == handled && phone.CurrentChannelId == callId)
        {
            await phone.HangUpAsync(stopping);
        }
    }

    /// <summary>
    /// Notes after the call. With a desk the service's wrap-up holds the next call meanwhile, and the agent closes it
    /// with a code when done; without one the phone itself refuses calls during the work, if so configured.
    /// </summary>
    private async Task AfterCallWorkAsync(SimulatedPhone phone, CancellationToken stopping)
    {
        var work = _random.Between(options.WrapUp);
        if (_desk is null)
        {
            _ = options.WrapUpRefusal switch
            {
                WrapUpRefusal.Busy => phone.RejectBusy(),
                WrapUpRefusal.DoNotAnswer => phone.DoNotAnswer(),
                _ => phone,
            };
            await Task.Delay(work, _time, stopping);
            return;
        }
        await Task.Delay(work, _time, stopping);
        var code = options.WrapUpCodes[_random.Next(options.WrapUpCodes.Count)];
        await _desk.FinishWrapUpAsync(endpoint, code, stopping);
        tally.Increment(ref tally.AgentWrapUpsClosed);
    }

    /// <summary>Pauses with a drawn reason for its drawn length; a call offered just before the pause took effect is still taken.</summary>
    private async Task TakeBreakAsync(SimulatedPhone phone, CancellationToken stopping)
    {
        var kind = options.AgentBreaks[PickBreak()];
        await _desk!.PauseAsync(endpoint, kind.Reason, stopping);
        tally.Increment(ref tally.AgentBreaksTaken);
        var end = _time.GetUtcNow() + _random.Between(kind.Length);
        while (true)
        {
            using var stage = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var rings = sim.WaitUntilAsync(_ => phone.CurrentChannelId is not null, stage.Token);
            var over = DelayUntilAsync(end, stage.Token);
            var first = await Task.WhenAny(rings, over);
            await stage.CancelAsync();
            stopping.ThrowIfCancellationRequested();
            if (first == over && phone.CurrentChannelId is null)
            {
                break;
            }
            await TakeCallAsync(phone, missed: false, stopping);
        }
        await _desk.UnpauseAsync(endpoint, stopping);
    }

    /// <summary>Sets how the next call is answered; true when the agent will not hear it.</summary>
    private bool DrawRing(SimulatedPhone phone)
    {
        if (_random.Chance(options.AgentMissShare))
        {
            phone.DoNotAnswer();
            return true;
        }
        phone.AnswerAfter(_random.Between(options.AgentAnswerDelay));
        return false;
    }

    private DateTimeOffset? NextBreakAt() =>
        _desk is null || options.AgentBreaks.Count == 0 ? null : _time.GetUtcNow() + _random.Exponential(options.MeanWorkBetweenBreaks);

    private int PickBreak()
    {
        var point = _random.NextDouble() * options.AgentBreaks.Sum(b => b.Weight);
        for (var i = 0; i < options.AgentBreaks.Count; i++)
        {
            point -= options.AgentBreaks[i].Weight;
            if (point < 0)
            {
                return i;
            }
        }
        return options.AgentBreaks.Count - 1;
    }

    private Task DelayUntilAsync(DateTimeOffset at, CancellationToken ct)
    {
        var wait = at - _time.GetUtcNow();
        return Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, ct);
    }
}
