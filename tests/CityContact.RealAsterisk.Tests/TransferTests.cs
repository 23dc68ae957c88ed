using CityContact.RealAsterisk.Tests.Harness;
using CityContact.Service.Features.Calls;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// Transfer nodes on the real Asterisk: to a deskphone's extension (a pjsua registered as 102) and to an external number
/// on the allow-list, dialled through the trunk (a pjsua listening where pjsip.conf sends the provider's calls).
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class TransferTests(AsteriskFixture fixture)
{
    private const string TransferNumber = "0256200";
    private const string ExternalNumber = "0256999888";
    private const int CalleeTalkSeconds = 3;

    /// <summary>The transfers the admin allows: the city's own 0256 numbers.</summary>
    private static readonly Dictionary<string, string?> AllowCityNumbers = new() { ["Ivr:TransferAllowList:0"] = @"0256\d{6}" };

    /// <summary>1 the desk at extension 102, 2 an external number; a failed transfer ends with goodbye.</summary>
    private static readonly object TransferMenu = new
    {
        start = "main",
        fallback = "goodbye",
        languages = new[] { "ro", "en" },
        nodes = new Dictionary<string, object>
        {
            ["main"] = new
            {
                kind = "menu", prompts = new[] { "digit-1" }, options = new Dictionary<string, string> { ["1"] = "desk", ["2"] = "outside" },
                timeoutMs = 3000, maxRetries = 1, noInputPrompt = "no-input", invalidPrompt = "invalid-choice", exit = "goodbye",
            },
            ["desk"] = new { kind = "transfer", extension = "102" },
            ["outside"] = new { kind = "transfer", number = ExternalNumber },
            ["goodbye"] = new { kind = "play", prompts = new[] { "goodbye" }, next = "end" },
            ["end"] = new { kind = "hangup" },
        },
    };

    private AsteriskInstance Asterisk => fixture.Asterisk;

    [RealAsteriskFact]
    public async Task Pressing_1_bridges_the_caller_with_the_deskphone_at_the_extension_until_the_deskphone_hangs_up()
    {
        var ct = Timeouts.After(90);
        await using var service = await StartWithTransferMenuAsync(ct);
        await using var desk = PjsuaPhone.Start(Asterisk, "102", PhoneAnswer.AutoAnswer, hangUpAfterSeconds: CalleeTalkSeconds);
        Assert.True(await desk.RegisteredAsync(ct), desk.Output);

        // The caller stays on the line until the deskphone hangs up: the city's BYE ends SIPp's call.
        var (caller, call, timeline, because) = await CallAndPressAsync(service, '1', desk, ct);
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal("callee-hangup", call.HangupCause);
        Assert.True(call.IvrPath.SequenceEqual(["main", "desk"]), because);
        Assert.Contains(timeline, e => e.Type == "transfer" && e.Data.Contains("PJSIP/102", StringComparison.Ordinal));
        var connected = Assert.Single(timeline, e => e.Type == "transfer.connected").At;
        var ended = Assert.Single(timeline, e => e.Type == "transfer.ended").At;
        Assert.InRange((ended - connected).TotalSeconds, CalleeTalkSeconds - 1, CalleeTalkSeconds + 2);
        // The deskphone was rung with the citizen's number and talked.
        await desk.WaitForLineAsync(l => l.Contains("state changed to CONFIRMED", StringComparison.Ordinal), ct);
        Assert.Contains(caller.CallerNumber.TrimStart('+'), desk.Output, StringComparison.Ordinal);
        await WaitForNoBridgeAsync(service, ct);
    }

    [RealAsteriskFact]
    public async Task A_busy_deskphone_fails_the_transfer_and_the_caller_hears_transfer_failed_then_goodbye()
    {
        var ct = Timeouts.After(90);
        await using var service = await StartWithTransferMenuAsync(ct);
        await using var desk = PjsuaPhone.Start(Asterisk, "102", PhoneAnswer.Busy);
        Assert.True(await desk.RegisteredAsync(ct), desk.Output);

        var (_, call, timeline, because) = await CallAndPressAsync(service, '1', desk, ct);
        Assert.Contains(timeline, e => e.Type == "transfer.failed");
        var failed = Assert.Single(timeline, e => e.Type == "prompt" && e.Data.Contains("transfer-failed", StringComparison.Ordinal)).At;
        var goodbye = Assert.Single(timeline, e => e.Type == "prompt" && e.Data.Contains("/goodbye", StringComparison.Ordinal)).At;
        Assert.True(failed < goodbye, because);
        Assert.DoesNotContain(timeline, e => e.Type == "transfer.connected");
        Assert.True(call.IvrPath.SequenceEqual(["main", "desk", "goodbye", "end"]), because);
        Assert.NotEqual(CallOutcomes.Answered, call.Outcome);
        await desk.WaitForLineAsync(l => l.Contains("Request msg INVITE", StringComparison.Ordinal), ct);
        await WaitForNoBridgeAsync(service, ct);
    }

    [RealAsteriskFact]
    public async Task Pressing_2_dials_the_allowed_external_number_through_the_trunk_and_bridges_the_caller_with_it()
    {
        var ct = Timeouts.After(90);
        await using var service = await StartWithTransferMenuAsync(ct);
        await using var outside = PjsuaPhone.StartCitizen(Asterisk, PhoneAnswer.AutoAnswer, hangUpAfterSeconds: CalleeTalkSeconds);

        var (_, call, timeline, because) = await CallAndPressAsync(service, '2', outside, ct);
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal("callee-hangup", call.HangupCause);
        Assert.Contains(timeline, e => e.Type == "transfer" && e.Data.Contains($"PJSIP/{ExternalNumber}@trunk", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "transfer.connected");
        // The provider's side was asked for the number itself and answered.
        var invite = await outside.WaitForLineAsync(l => l.Contains("INVITE sip:", StringComparison.Ordinal), ct);
        Assert.Contains($"INVITE sip:{ExternalNumber}@", invite, StringComparison.Ordinal);
        await outside.WaitForLineAsync(l => l.Contains("state changed to CONFIRMED", StringComparison.Ordinal), ct);
        await WaitForNoBridgeAsync(service, ct);
    }

    private async Task<RealAsteriskService> StartWithTransferMenuAsync(CancellationToken ct)
    {
        var service = await RealAsteriskService.StartAsync(Asterisk, ct, settings: AllowCityNumbers);
        await service.PublishFlowAsync("transfer", TransferNumber, TransferMenu, ct);
        return service;
    }

    /// <summary>A citizen calls the transfer menu, presses <paramref name="key"/> and stays until the city hangs up (asserted).</summary>
    private async Task<(SippCaller Caller, Call Call, IReadOnlyList<CallEvent> Timeline, string Because)> CallAndPressAsync(
        RealAsteriskService service, char key, PjsuaPhone callee, CancellationToken ct)
    {
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), TransferNumber);
        var result = await caller.CallAsync([Wait(1), Key(key)], CallerEnding.WaitsForHangup, ct);
        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline, callee);
        Assert.True(result.Answered && result.HungUpByAsterisk && result.ExitCode == 0, because);
        return (caller, call, timeline, because);
    }

    /// <summary>After the call the transfer's bridge is gone: nothing is left behind in Asterisk.</summary>
    private static async Task WaitForNoBridgeAsync(RealAsteriskService service, CancellationToken ct)
    {
        while ((await service.Ari.Rest.Bridges.ListAsync(ct)).Length > 0)
        {
            await Task.Delay(50, ct);
        }
    }

    private string Because(CallerResult result, IReadOnlyList<CallEvent> timeline, PjsuaPhone callee) =>
        $"{result}\n{string.Join('\n', timeline.Select(e => $"{e.At:O} {e.Type} {e.Data}"))}\n--- callee:\n{callee.Output[^Math.Min(callee.Output.Length, 3000)..]}\n{Asterisk.LogTail(20)}";
}
