using CityContact.RealAsterisk.Tests.Harness;
using CityContact.Service.Features.Calls;
using CityContact.Telephony.Ari;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>Asterisk itself restarting (<c>core restart now</c>) under a call: what is stored, and that the service comes back.</summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class AsteriskRestartTests(AsteriskFixture fixture)
{
    private const string CityNumber = "0256969";

    /// <summary>The cause the fix stores for a call Asterisk's shutdown cut (CallHandler.AsteriskShutdownCause in the fix branch).</summary>
    private const string AsteriskShutdownCause = "asterisk-shutdown";

    [RealAsteriskFact]
    public async Task A_call_cut_by_core_restart_is_not_blamed_on_the_caller_and_the_service_takes_the_next_call_on_the_restarted_Asterisk()
    {
        var ct = Timeouts.After(150);
        var asterisk = fixture.Asterisk;
        await using var service = await RealAsteriskService.StartAsync(asterisk, ct);
        var cut = new SippCaller(asterisk, SippCaller.UniqueCallerNumber(), CityNumber);

        // The caller stays on the line (the welcome, then choose-language) until Asterisk hangs up.
        var cutCall = cut.CallAsync([], CallerEnding.WaitsForHangup, ct);
        await service.WaitForStepAsync(cut.CallerNumber, e => e.Type == "answered", ct);
        await asterisk.RestartNowAsync(ct);
        var cutResult = await cutCall;

        var (call, timeline) = await service.EndedCallAsync(cut.CallerNumber, ct);
        var cutBecause = $"{cutResult}\n{string.Join('\n', timeline.Select(e => $"{e.Type} {e.Data}"))}";
        Assert.True(cutResult.Answered && cutResult.HungUpByAsterisk && cutResult.ExitCode == 0, cutBecause);

        // The service connects again to the new Asterisk, and the next caller runs the flow.
        await WaitConnectedAsync(service.Ari, ct);
        var next = new SippCaller(asterisk, SippCaller.UniqueCallerNumber(), CityNumber);
        var nextResult = await next.CallAsync(
            [new Pause(asterisk.PromptLength("ro", "welcome") + TimeSpan.FromSeconds(2)), Key('2'), Wait(2)], CallerEnding.HangsUp, ct);
        var (nextCall, nextTimeline) = await service.EndedCallAsync(next.CallerNumber, ct);
        var because = $"{nextResult}\n{string.Join('\n', nextTimeline.Select(e => $"{e.Type} {e.Data}"))}\n{asterisk.LogTail(15)}";
        Assert.True(nextResult.Answered && nextResult.ExitCode == 0, because);
        Assert.Equal("en", nextCall.Language);
        Assert.True(nextCall.IvrPath.Take(3).SequenceEqual(["welcome", "language", "hours"]), because);
        Assert.Equal("caller-hangup", nextCall.HangupCause);

        // KNOWN FINDING (fixed in another branch): the restart's cut is stored as the caller's hang-up and the call as abandoned.
        Assert.True(call.HangupCause != "caller-hangup" && call.HangupCause == AsteriskShutdownCause && call.Outcome != CallOutcomes.Abandoned,
            $"cut call stored with hangup_cause {call.HangupCause}, outcome {call.Outcome}\n{cutBecause}");
    }

    private static async Task WaitConnectedAsync(AriClient ari, CancellationToken ct)
    {
        while (ari.State != AriConnectionState.Connected)
        {
            await Task.Delay(50, ct);
        }
    }
}
