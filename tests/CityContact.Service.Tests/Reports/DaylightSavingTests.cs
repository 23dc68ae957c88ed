using CityContact.Service.Features.Reports;
using CityContact.Service.Features.Calls;
using CityContact.Service.Infrastructure.Configuration;
using CityContact.Service.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using static CityContact.Service.Tests.Reports.ReportSeed;

namespace CityContact.Service.Tests.Reports;

public sealed class DaylightSavingTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private ReportBuilder Builder() => new(new ReportQueries(database.DataSource), Options.Create(new ReportOptions()),
        Options.Create(new CityOptions { TimeZone = "Europe/Bucharest", Culture = "ro-RO" }), TimeProvider.System);

    [Fact]
    public void The_spring_forward_day_lasts_23_hours_and_the_fall_back_day_25()
    {
        var spring = ReportPeriod.Containing(ReportKind.Daily, new DateOnly(2026, 3, 29), Bucharest);
        var fall = ReportPeriod.Containing(ReportKind.Daily, new DateOnly(2026, 10, 25), Bucharest);

        Assert.Equal(new DateTime(2026, 3, 28, 22, 0, 0, DateTimeKind.Utc), spring.FromUtc);
        Assert.Equal(TimeSpan.FromHours(23), spring.Length);
        Assert.Equal(new DateTime(2026, 10, 24, 21, 0, 0, DateTimeKind.Utc), fall.FromUtc);
        Assert.Equal(TimeSpan.FromHours(25), fall.Length);
        Assert.Equal(TimeSpan.FromHours((31 * 24) - 1), ReportPeriod.Containing(ReportKind.Monthly, new DateOnly(2026, 3, 15), Bucharest).Length);
    }

    [Fact]
    public void A_schedule_reports_the_last_complete_period_before_it_fires()
    {
        // Monday 30 March 2026, 07:00 local.
        var firedAt = new DateTimeOffset(2026, 3, 30, 4, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateOnly(2026, 3, 29), ReportPeriod.LastCompleteBefore(ReportKind.Daily, firedAt, Bucharest).FirstDay);
        Assert.Equal(new DateOnly(2026, 3, 23), ReportPeriod.LastCompleteBefore(ReportKind.Weekly, firedAt, Bucharest).FirstDay);
        Assert.Equal(new DateOnly(2026, 2, 1), ReportPeriod.LastCompleteBefore(ReportKind.Monthly, firedAt, Bucharest).FirstDay);
        Assert.Equal(new DateOnly(2025, 1, 1), ReportPeriod.LastCompleteBefore(ReportKind.Yearly, firedAt, Bucharest).FirstDay);
    }

    [Fact]
    public async Task The_23_hour_day_counts_its_calls_in_local_hours_with_no_hour_three()
    {
        var seed = new ReportSeed(database.DataSource);
        await seed.CallAsync(new DateTime(2026, 3, 28, 21, 59, 0, DateTimeKind.Utc), CallOutcomes.Answered, waitSeconds: 1, talkSeconds: 10); // 23:59 the day before
        await seed.CallAsync(new DateTime(2026, 3, 29, 0, 30, 0, DateTimeKind.Utc), CallOutcomes.Answered, waitSeconds: 1, talkSeconds: 10);  // 02:30 EET
        await seed.CallAsync(new DateTime(2026, 3, 29, 1, 30, 0, DateTimeKind.Utc), CallOutcomes.Answered, waitSeconds: 1, talkSeconds: 10);  // 04:30 EEST
        await seed.CallAsync(new DateTime(2026, 3, 29, 20, 30, 0, DateTimeKind.Utc), CallOutcomes.Abandoned, waitSeconds: 5);                 // 23:30 EEST
        await seed.CallAsync(new DateTime(2026, 3, 29, 21, 0, 0, DateTimeKind.Utc), CallOutcomes.Answered, waitSeconds: 1, talkSeconds: 10);  // 00:00 the day after

        var report = await Builder().BuildAsync(ReportPeriod.Containing(ReportKind.Daily, new DateOnly(2026, 3, 29), Bucharest), ReportScope.City, CancellationToken.None);

        Assert.Equal(3, report.Calls.Offered);
        var byHour = report.ByHour.ToDictionary(h => h.Slot, h => h.Offered);
        Assert.Equal((1, 0, 1, 1), (byHour[2], byHour[3], byHour[4], byHour[23]));
        Assert.Equal(0, byHour[0]);
        Assert.Equal(3, report.ByDayOfWeek.Single(d => d.Slot == 7).Offered); // a Sunday
    }

    [Fact]
    public async Task The_25_hour_day_counts_both_local_three_oclocks_in_hour_three()
    {
        var seed = new ReportSeed(database.DataSource);
        await seed.CallAsync(new DateTime(2026, 10, 25, 0, 30, 0, DateTimeKind.Utc), CallOutcomes.Answered, waitSeconds: 2, talkSeconds: 10); // 03:30 EEST
        await seed.CallAsync(new DateTime(2026, 10, 25, 1, 30, 0, DateTimeKind.Utc), CallOutcomes.Answered, waitSeconds: 4, talkSeconds: 10); // 03:30 EET
        await seed.CallAsync(new DateTime(2026, 10, 25, 21, 30, 0, DateTimeKind.Utc), CallOutcomes.Voicemail);                               // 23:30 EET
        await seed.CallAsync(new DateTime(2026, 10, 25, 22, 0, 0, DateTimeKind.Utc), CallOutcomes.Voicemail);                                // 00:00 the day after
        await seed.CallAsync(new DateTime(2026, 10, 24, 20, 59, 0, DateTimeKind.Utc), CallOutcomes.Voicemail);                               // 23:59 the day before

        var report = await Builder().BuildAsync(ReportPeriod.Containing(ReportKind.Daily, new DateOnly(2026, 10, 25), Bucharest), ReportScope.City, CancellationToken.None);

        Assert.Equal(3, report.Calls.Offered);
        Assert.Equal(2, report.ByHour.Single(h => h.Slot == 3).Answered);
        Assert.Equal(1, report.ByHour.Single(h => h.Slot == 23).Offered);
        Assert.Equal(3, report.Calls.AverageSpeedOfAnswerSeconds!.Value, 0.001);
    }
}
