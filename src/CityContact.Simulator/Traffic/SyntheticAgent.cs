using CityContact.Simulator.Scripting;

namespace CityContact.Simulator.Traffic;

/// <summary>
/// One synthetic agent at a deskphone: registers, answers after a drawn ring time, talks for a drawn handle time and
/// hangs up (unless the other side does first), then takes a wrap-up pause during which the phone refuses calls.
/// </summary>
internal sealed class SyntheticAgent(AsteriskSimulator sim, SyntheticTrafficOptions options, string endpoint, int seed, TrafficTally tally)
{
    private readonly TimeProvider _time = sim.Options.Time;
    private readonly Random _random = new(seed);

    public async Task RunAsync(CancellationToken stopping)
    {
        var phone = sim.Phone(endpoint);
        // The answer delay is set before each call can ring, the first one included (hence before registering).
        phone.AnswerAfter(_random.Between(options.AgentAnswerDelay));
        await phone.RegisterAsync(stopping);
        try
        {
            while (true)
            {
                await phone.WaitForAnsweredCallAsync(stopping);
                tally.Increment(ref tally.AgentCallsAnswered);
                await TalkAsync(phone, phone.CurrentChannelId, stopping);
                tally.Increment(ref tally.AgentCallsHandled);

                _ = options.WrapUpRefusal == WrapUpRefusal.Busy ? phone.RejectBusy() : phone.DoNotAnswer();
                await Task.Delay(_random.Between(options.WrapUp), _time, stopping);
                phone.AnswerAfter(_random.Between(options.AgentAnswerDelay));
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await phone.HangUpAsync(CancellationToken.None);
            await phone.UnregisterAsync(CancellationToken.None);
        }
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
}
