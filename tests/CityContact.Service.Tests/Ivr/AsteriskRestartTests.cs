using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;

namespace CityContact.Service.Tests.Ivr;

/// <summary>Asterisk itself restarting (<c>core restart now</c>) under calls: what the reports must not blame on the citizen.</summary>
public sealed class AsteriskRestartTests
{
    private const string CityNumber = "0256969";

    private static CancellationToken Ct => TestContext.Timeout(40);

    [Fact]
    public async Task A_call_cut_by_an_Asterisk_restart_is_stored_as_failed_by_the_restart_and_the_next_call_is_served()
    {
        await using var host = await IvrHost.StartAsync();
        var caller = host.Sim.Trunk.Dial("+40256000001", CityNumber);
        await caller.WaitForPlaybackAsync(2, Ct); // the language menu

        host.Sim.CoreRestartNow();
        await caller.WaitForHangupAsync(Ct);
        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);

        Assert.Equal(CallOutcomes.Failed, call.Outcome);
        Assert.Equal(CallHandler.AsteriskShutdownCause, call.HangupCause);
        Assert.Contains(timeline, e => e.Type == "hangup" && e.Data.Contains("\"asterisk-shutdown\"", StringComparison.Ordinal));
        Assert.DoesNotContain(timeline, e => e.Type == "hangup" && e.Data.Contains("\"caller\"", StringComparison.Ordinal));

        // The service connects again to the restarted Asterisk and answers the next caller.
        await host.Sim.WaitUntilAsync(s => s.ConnectedApplications.Contains("citycontact"), Ct);
        var next = host.Sim.Trunk.Dial("+40256000002", CityNumber);
        Assert.EndsWith("/welcome", await next.WaitForPlaybackAsync(1, Ct), StringComparison.Ordinal);
        await next.HangUpAsync(Ct);
        var (nextCall, _) = await host.EndedCallAsync(next.ChannelId, Ct);
        Assert.Equal("caller-hangup", nextCall.HangupCause);
        Assert.Equal(CallOutcomes.Abandoned, nextCall.Outcome);
    }
}
