using CityContact.RealAsterisk.Tests.Harness;
using CityContact.Service.Features.Calls;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// A caller picks the taxes queue with a real key press and is handed to agents on registered pjsua deskphones: answered,
/// not answered, busy, a phone never registered and a phone switched off mid-shift.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class QueueTests(AsteriskFixture fixture)
{
    public const string QueueNumber = "0256300";
    public const string Queue = "taxes";

    /// <summary>"one" as the question, 1 takes the caller to the taxes queue.</summary>
    public static readonly object TaxesMenu = new
    {
        start = "main",
        fallback = "operator",
        languages = new[] { "ro", "en" },
        nodes = new Dictionary<string, object>
        {
            ["main"] = new
            {
                kind = "menu", prompts = new[] { "digit-1" }, options = new Dictionary<string, string> { ["1"] = "taxes", ["0"] = "operator" },
                timeoutMs = 3000, maxRetries = 1, noInputPrompt = "no-input", invalidPrompt = "invalid-choice", exit = "operator",
            },
            ["taxes"] = new { kind = "queue", queue = Queue },
            ["operator"] = new { kind = "queue", queue = "operator" },
        },
    };

    /// <summary>Short rings, so that an agent who does not answer costs the caller seconds rather than the shipped 15.</summary>
    private const int RingSeconds = 4;

    private static readonly Dictionary<string, string?> ShortRings = new() { ["Queues:RingTimeoutSeconds"] = RingSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private AsteriskInstance Asterisk => fixture.Asterisk;

    [RealAsteriskFact]
    public async Task A_caller_pressing_1_is_answered_by_the_logged_in_agent_whose_phone_answers()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("queue", QueueNumber, TaxesMenu, ct);
        await using var phone = await RegisteredPhoneAsync("101", PhoneAnswer.AutoAnswer, ct);
        var agent = await service.CreateAgentAsync("101", Queue, 0, ct);
        await service.AgentActAsync(agent, "login", ct);
        await service.WaitForAgentAsync(agent, a => a is { State: "available", Registered: true }, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QueueNumber);

        var result = await caller.CallAsync([Wait(1), Key('1'), Wait(7)], CallerEnding.HangsUp, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline, phone);
        Assert.True(result.Answered && result.ExitCode == 0, because);
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal(agent, call.AgentId);
        Assert.NotNull(call.QueueId);
        // The phone answers at once: the caller waited the ring of one phone, then talked until hanging up ~7 s after the key.
        Assert.InRange(call.QueueWaitMs ?? -1, 0, 3000);
        Assert.InRange(call.TalkMs ?? -1, 4000, 8000);
        Assert.Contains(timeline, e => e.Type == "queue.answered" && e.Data.Contains($"\"agent\": {agent}", StringComparison.Ordinal));
        // The deskphone saw the call set up and then ended by Asterisk (the caller hung up).
        await phone.WaitForLineAsync(l => l.Contains("state changed to CONFIRMED", StringComparison.Ordinal), ct);
        await phone.WaitForLineAsync(l => l.Contains("Request msg BYE", StringComparison.Ordinal), ct);
        var after = await service.WaitForAgentAsync(agent, a => a.CallsTaken == 1, ct);
        Assert.Equal(0, after.Misses);
    }

    [RealAsteriskFact]
    public async Task A_phone_that_rings_unanswered_counts_a_miss_and_the_caller_goes_to_the_next_agent()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct, settings: ShortRings);
        await using var ringing = await RegisteredPhoneAsync("101", PhoneAnswer.Ring, ct);
        await using var answering = await RegisteredPhoneAsync("102", PhoneAnswer.AutoAnswer, ct);

        var (call, timeline, first, second) = await CallWithTwoAgentsAsync(service, ringing, answering, ct);

        var because = string.Join('\n', timeline.Select(e => $"{e.Type} {e.Data}")) + "\n--- 101:\n" + ringing.Output;
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal(second, call.AgentId);
        // The first agent rang for the whole ring time before the caller was offered to the second.
        Assert.InRange(call.QueueWaitMs ?? -1, RingSeconds * 1000 - 500, RingSeconds * 1000 + 3000);
        AssertMissedThenAnswered(timeline, first, second, because);
        await ringing.WaitForLineAsync(l => l.Contains("Request msg INVITE", StringComparison.Ordinal), ct);
        await ringing.WaitForLineAsync(l => l.Contains("Request msg CANCEL", StringComparison.Ordinal), ct);
        Assert.DoesNotContain("CONFIRMED", ringing.Output, StringComparison.Ordinal);
        var missed = await service.AgentAsync(first, ct);
        Assert.True(missed is { Misses: 1, State: "available", CallsTaken: 0 }, missed.ToString());
    }

    [RealAsteriskFact]
    public async Task A_busy_phone_counts_a_miss_and_the_caller_goes_to_the_next_agent_at_once()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct, settings: ShortRings);
        await using var busy = await RegisteredPhoneAsync("101", PhoneAnswer.Busy, ct);
        await using var answering = await RegisteredPhoneAsync("102", PhoneAnswer.AutoAnswer, ct);

        var (call, timeline, first, second) = await CallWithTwoAgentsAsync(service, busy, answering, ct);

        var because = string.Join('\n', timeline.Select(e => $"{e.Type} {e.Data}")) + "\n--- 101:\n" + busy.Output;
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal(second, call.AgentId);
        // 486 ends the first ring at once: far less than the ring time.
        Assert.InRange(call.QueueWaitMs ?? -1, 0, RingSeconds * 1000 - 1000);
        AssertMissedThenAnswered(timeline, first, second, because);
        await busy.WaitForLineAsync(l => l.Contains("Request msg INVITE", StringComparison.Ordinal), ct);
        var missed = await service.AgentAsync(first, ct);
        Assert.True(missed is { Misses: 1, State: "available", CallsTaken: 0 }, missed.ToString());
    }

    [RealAsteriskFact]
    public async Task An_agent_whose_phone_is_not_registered_is_offline_and_never_rung()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("queue", QueueNumber, TaxesMenu, ct);
        await using var answering = await RegisteredPhoneAsync("102", PhoneAnswer.AutoAnswer, ct);
        // 103 has no phone; it is the preferred agent (penalty 0) were it reachable.
        var unreachable = await service.CreateAgentAsync("103", Queue, 0, ct);
        var reachable = await service.CreateAgentAsync("102", Queue, 1, ct);
        var offline = await service.AgentActAsync(unreachable, "login", ct);
        await service.AgentActAsync(reachable, "login", ct);
        await service.WaitForAgentAsync(reachable, a => a is { State: "available", Registered: true }, ct);
        Assert.True(offline is { State: "offline", Registered: false }, offline.ToString());
        var realtime = await service.QueueRealtimeAsync(Queue, ct);
        Assert.Equal(1, realtime.AgentsByState.GetValueOrDefault("offline"));
        Assert.Equal(1, realtime.AgentsByState.GetValueOrDefault("available"));
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QueueNumber);

        var result = await caller.CallAsync([Wait(1), Key('1'), Wait(4)], CallerEnding.HangsUp, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline, answering);
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal(reachable, call.AgentId);
        Assert.DoesNotContain(timeline, e => e.Type is "queue.ringing" or "queue.missed" && e.Data.Contains($"\"agent\": {unreachable}", StringComparison.Ordinal));
        Assert.True((await service.AgentAsync(unreachable, ct)) is { State: "offline", Misses: 0, CallsTaken: 0 }, because);
    }

    [RealAsteriskFact]
    public async Task A_logged_in_agent_whose_phone_is_switched_off_goes_offline_and_comes_back_when_it_registers_again()
    {
        var ct = Timeouts.After(60);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        var phone = await RegisteredPhoneAsync("101", PhoneAnswer.AutoAnswer, ct);
        var agent = await service.CreateAgentAsync("101", Queue, 0, ct);
        try
        {
            await service.AgentActAsync(agent, "login", ct);
            await service.WaitForAgentAsync(agent, a => a is { State: "available", Registered: true }, ct);

            await phone.QuitAsync(ct);

            // AMI's DeviceStateChange PJSIP/101 UNAVAILABLE, once pjsua's unregistration removed the contact.
            var gone = await service.WaitForAgentAsync(agent, a => !a.Registered, ct);
            Assert.Equal("offline", gone.State);
            var realtime = await service.QueueRealtimeAsync(Queue, ct);
            Assert.Equal(1, realtime.AgentsByState.GetValueOrDefault("offline"));
            Assert.Equal(0, realtime.AgentsByState.GetValueOrDefault("available"));
        }
        finally
        {
            await phone.DisposeAsync();
        }

        // The agent chose to work: a phone registered again makes them available without logging in again.
        await using var again = await RegisteredPhoneAsync("101", PhoneAnswer.AutoAnswer, ct);
        var back = await service.WaitForAgentAsync(agent, a => a.Registered, ct);
        Assert.Equal("available", back.State);
    }

    /// <summary>Agents on <paramref name="first"/> (penalty 0, offered first) and <paramref name="second"/> (penalty 1), both logged in; a caller for the queue.</summary>
    private async Task<(Call Call, IReadOnlyList<CallEvent> Timeline, long First, long Second)> CallWithTwoAgentsAsync(
        RealAsteriskService service, PjsuaPhone first, PjsuaPhone second, CancellationToken ct)
    {
        await service.PublishFlowAsync("queue", QueueNumber, TaxesMenu, ct);
        var firstAgent = await service.CreateAgentAsync(first.Extension, Queue, 0, ct);
        var secondAgent = await service.CreateAgentAsync(second.Extension, Queue, 1, ct);
        foreach (var agent in new[] { firstAgent, secondAgent })
        {
            await service.AgentActAsync(agent, "login", ct);
            await service.WaitForAgentAsync(agent, a => a is { State: "available", Registered: true }, ct);
        }
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QueueNumber);
        var result = await caller.CallAsync([Wait(1), Key('1'), Wait(RingSeconds + 5)], CallerEnding.HangsUp, ct);
        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        Assert.True(result.Answered && result.ExitCode == 0, Because(result, timeline, second));
        await second.WaitForLineAsync(l => l.Contains("state changed to CONFIRMED", StringComparison.Ordinal), ct);
        return (call, timeline, firstAgent, secondAgent);
    }

    private static void AssertMissedThenAnswered(IReadOnlyList<CallEvent> timeline, long first, long second, string because)
    {
        var missed = timeline.ToList().FindIndex(e => e.Type == "queue.missed" && e.Data.Contains($"\"agent\": {first}", StringComparison.Ordinal));
        var answered = timeline.ToList().FindIndex(e => e.Type == "queue.answered" && e.Data.Contains($"\"agent\": {second}", StringComparison.Ordinal));
        Assert.True(missed >= 0 && answered > missed, because);
    }

    private async Task<PjsuaPhone> RegisteredPhoneAsync(string extension, PhoneAnswer answer, CancellationToken ct)
    {
        var phone = PjsuaPhone.Start(Asterisk, extension, answer);
        if (!await phone.RegisteredAsync(ct))
        {
            await phone.DisposeAsync();
            throw new InvalidOperationException($"{extension} was refused by the registrar:\n{phone.Output}");
        }
        return phone;
    }

    private string Because(CallerResult result, IReadOnlyList<CallEvent> timeline, PjsuaPhone phone) =>
        $"{result}\n{string.Join('\n', timeline.Select(e => $"{e.Type} {e.Data}"))}\n--- pjsua {phone.Extension}:\n{string.Join('\n', phone.Output.Split('\n').TakeLast(30))}\n{Asterisk.LogTail(15)}";
}
