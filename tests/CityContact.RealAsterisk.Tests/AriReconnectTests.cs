using System.Net;
using CityContact.RealAsterisk.Tests.Harness;
using CityContact.Service.Features.Calls;
using CityContact.Telephony.Ari;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// The service's ARI connection cut (a <see cref="TcpRelay"/> between the service and Asterisk's HTTP port resets it) while
/// calls are in the IVR, and a call arriving while the service is reconnecting.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class AriReconnectTests(AsteriskFixture fixture)
{
    private const string CityNumber = "0256969";

    [RealAsteriskFact]
    public async Task A_call_in_the_menu_during_an_ARI_cut_goes_on_and_a_call_arriving_during_the_reconnect_is_answered_and_runs_its_flow()
    {
        var ct = Timeouts.After(150);
        var asterisk = fixture.Asterisk;
        await using var relay = new TcpRelay(new IPEndPoint(IPAddress.Loopback, asterisk.Layout.HttpPort));
        await using var service = await RealAsteriskService.StartAsync(asterisk, ct, settings: new Dictionary<string, string?>
        {
            ["Ari:Url"] = relay.AriUrl,
        });
        var inLanguage = asterisk.PromptLength("ro", "welcome") + TimeSpan.FromSeconds(2);

        // English, then silence through the main menu (15 s) and its no-input retry: the call needs the service all along.
        var inMenu = new SippCaller(asterisk, SippCaller.UniqueCallerNumber(), CityNumber);
        var inMenuCall = inMenu.CallAsync([new Pause(inLanguage), Key('2'), Wait(26)], CallerEnding.HangsUp, ct);
        var mainMenu = await service.WaitForStepAsync(inMenu.CallerNumber,
            e => e.Type == "prompt" && e.Data.Contains("main-menu", StringComparison.Ordinal), ct);

        // Cut while the main menu plays; new REST connections are held back 2 s, so the service's work after it reconnects
        // (event filter, re-adoption) lasts long enough for a call to arrive in the middle of it.
        relay.RestDelay = TimeSpan.FromSeconds(2);
        relay.Sever();
        var cutAt = service.Clock.GetUtcNow().UtcDateTime;
        await WaitForStateAsync(service.Ari, s => s != AriConnectionState.Connected, ct);
        await WaitForStateAsync(service.Ari, s => s == AriConnectionState.Connected, ct);
        var arriving = new SippCaller(asterisk, SippCaller.UniqueCallerNumber(), CityNumber);
        var arrivingResult = await arriving.CallAsync([new Pause(inLanguage), Key('2'), Wait(2)], CallerEnding.HangsUp, ct);

        // The call in the menu was never left in silence: after the cut the service went on prompting it.
        var inMenuResult = await inMenuCall;
        var (inMenuRow, inMenuTimeline) = await service.EndedCallAsync(inMenu.CallerNumber, ct);
        var because = Because(inMenuResult, inMenuTimeline);
        Assert.True(inMenuResult.Answered && !inMenuResult.HungUpByAsterisk && inMenuResult.ExitCode == 0, because);
        Assert.True(mainMenu.At < cutAt, because);
        Assert.Contains(inMenuTimeline, e => e.At > cutAt && (e.Type is "queue.entered" || (e.Type == "prompt" && !e.Data.Contains("main-menu", StringComparison.Ordinal))));
        Assert.Equal("caller-hangup", inMenuRow.HangupCause);

        var (arrivingCall, arrivingTimeline) = await service.EndedCallAsync(arriving.CallerNumber, ct);
        because = Because(arrivingResult, arrivingTimeline);
        // KNOWN ISSUE (fixed in another branch): a StasisStart that arrives while the re-adoption runs waits behind it, and
        // the call is adopted into the operator fallback, never answered by its flow.
        Assert.True(arrivingTimeline.Any(e => e.Type == "answered") && !arrivingTimeline.Any(e => e.Type == "readopted"),
            "the call arriving during the reconnect did not run its flow (adopted into the fallback): " + because);
        Assert.True(arrivingResult.Answered && !arrivingResult.HungUpByAsterisk && arrivingResult.ExitCode == 0, because);
        Assert.True(arrivingCall.IvrPath.Take(3).SequenceEqual(["welcome", "language", "hours"]), because);
        Assert.Equal("en", arrivingCall.Language);
    }

    private static async Task WaitForStateAsync(AriClient ari, Func<AriConnectionState, bool> match, CancellationToken ct)
    {
        while (!match(ari.State))
        {
            await Task.Delay(10, ct);
        }
    }

    private string Because(CallerResult result, IReadOnlyList<CallEvent> timeline) =>
        $"{result}\n{string.Join('\n', timeline.Select(e => $"{e.At:HH:mm:ss.fff} {e.Type} {e.Data}"))}\n{fixture.Asterisk.LogTail(20)}";
}
