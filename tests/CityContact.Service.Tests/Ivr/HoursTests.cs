using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Schedules;

namespace CityContact.Service.Tests.Ivr;

public sealed class HoursTests
{
    private static readonly Schedule CityHall = new(1, "city-hall", "City hall", "Europe/Bucharest",
        [.. Enumerable.Range(1, 5).Select(d => new OpeningHours(d, new TimeOnly(8, 0), new TimeOnly(16, 0)))],
        [new Holiday(new DateOnly(2025, 12, 1), "National Day")]);

    [Theory]
    // 2025-03-30: clocks go from 03:00 to 04:00 in Bucharest (UTC+2 → UTC+3); the Monday after opens at 08:00 local = 05:00 UTC.
    [InlineData("2025-03-31T04:59:00Z", HoursState.Closed)]
    [InlineData("2025-03-31T05:00:00Z", HoursState.Open)]
    [InlineData("2025-03-28T05:59:00Z", HoursState.Closed)] // the Friday before: 08:00 local is 06:00 UTC
    [InlineData("2025-03-28T06:00:00Z", HoursState.Open)]
    [InlineData("2025-10-27T06:00:00Z", HoursState.Open)]   // back to UTC+2 after 2025-10-26
    [InlineData("2025-03-30T09:00:00Z", HoursState.Closed)] // the Sunday of the change itself
    [InlineData("2025-12-01T09:00:00Z", HoursState.Holiday)]
    public void Opening_hours_are_read_in_the_schedule_zone_across_dst_changes(string instant, HoursState expected) =>
        Assert.Equal(expected, BusinessHours.StateAt(CityHall, DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public async Task A_call_on_saturday_hears_the_after_hours_message_and_ends_as_self_service()
    {
        await using var host = await IvrHost.StartAsync(new DateTimeOffset(2025, 3, 15, 10, 0, 0, TimeSpan.Zero));
        var ct = TestContext.Timeout(30);
        var caller = host.Sim.Trunk.Dial("+40256000040", "0256969");
        await caller.WaitForPlaybackAsync(2, ct);
        await caller.PressAsync("1", ct);
        await caller.WaitForHangupAsync(ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, ct);
        Assert.Equal(["welcome", "language", "hours", "after-hours", "end"], call.IvrPath);
        Assert.Equal(CallOutcomes.SelfService, call.Outcome);
        Assert.Contains(timeline, e => e.Type == "hours" && e.Data.Contains("closed", StringComparison.Ordinal));
    }
}
