using CityContact.Service.Features.Reports;
using static CityContact.Service.Tests.Reports.ReportSeed;

namespace CityContact.Service.Tests.Reports;

public sealed class ReportFiguresTests(SeededCity city) : IClassFixture<SeededCity>
{
    private const double Tolerance = 0.001;

    private Task<ReportData> DailyAsync(ReportScope? scope = null) =>
        city.Builder().BuildAsync(ReportPeriod.Containing(ReportKind.Daily, SeededCity.Day, Bucharest), scope ?? ReportScope.City, CancellationToken.None);

    [Fact]
    public async Task Daily_city_report_counts_calls_by_outcome_with_the_midnight_call_on_the_day_it_started()
    {
        var calls = (await DailyAsync()).Calls;

        Assert.Equal(10, calls.Offered);
        Assert.Equal(3, calls.Answered);
        Assert.Equal(3, calls.Abandoned);
        Assert.Equal(1, calls.SelfService);
        Assert.Equal(1, calls.Voicemail);
        Assert.Equal(0, calls.Failed);
        Assert.Equal(2, calls.CallbacksRequested);
        Assert.Equal(1, calls.CallbacksCompleted);
        Assert.Equal(1, calls.CallbacksWithinSla);
    }

    [Fact]
    public async Task Survey_calls_the_city_placed_are_stored_but_not_counted_as_traffic()
    {
        await using var command = city.DataSource.CreateCommand(
            "SELECT count(*) FROM calls WHERE direction = 'outbound' AND started_at >= $1 AND started_at < $2");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Local(2026, 3, 10, 0, 0) });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = Local(2026, 3, 11, 0, 0) });
        Assert.Equal(2L, await command.ExecuteScalarAsync());

        var report = await DailyAsync();
        Assert.Equal(10, report.Calls.Offered);
        Assert.Equal(10, report.ByHour.Sum(h => h.Offered));
        Assert.Equal((5, 4), (report.Departments.Single(d => d.Id == city.Taxes).Offered, report.Departments.Single(d => d.Id == city.Roads).Offered));
        Assert.DoesNotContain(report.IvrNodes, n => n.Node == "survey");
    }

    [Fact]
    public async Task Daily_city_report_computes_service_level_speed_of_answer_handle_time_and_abandon_times()
    {
        var calls = (await DailyAsync()).Calls;

        // Answered within 20 s: 10 s and 5 s; decided = 3 answered + 3 abandoned.
        Assert.Equal(2, calls.AnsweredWithinServiceLevel);
        Assert.Equal(2.0 / 6, calls.ServiceLevel!.Value, Tolerance);
        Assert.Equal((10 + 40 + 5) / 3.0, calls.AverageSpeedOfAnswerSeconds!.Value, Tolerance);
        Assert.Equal((300 + 100 + 420) / 3.0, calls.AverageHandleSeconds!.Value, Tolerance);
        Assert.Equal(150, calls.LongestWaitSeconds!.Value, Tolerance);
        // Abandoned after 20 s in queue, 150 s in queue, and 40 s in the IVR.
        Assert.Equal(1, calls.AbandonedUnder30Seconds);
        Assert.Equal(1, calls.Abandoned30To120Seconds);
        Assert.Equal(1, calls.AbandonedOver120Seconds);
        Assert.Equal((20 + 150 + 40) / 3.0, calls.AverageAbandonSeconds!.Value, Tolerance);
    }

    [Fact]
    public async Task Calls_are_spread_over_local_hours_and_the_local_day_of_week()
    {
        var report = await DailyAsync();

        var offeredByHour = report.ByHour.ToDictionary(h => h.Slot, h => h.Offered);
        Assert.Equal(24, offeredByHour.Count);
        Assert.Equal(1, offeredByHour[8]);
        Assert.Equal(2, offeredByHour[9]);
        Assert.Equal(2, report.ByHour[10].Abandoned);
        Assert.Equal(1, offeredByHour[23]);
        Assert.Equal(0, offeredByHour[0]);
        Assert.Equal(10, report.ByHour.Sum(h => h.Offered));
        Assert.Equal(10, report.ByDayOfWeek.Single(d => d.Slot == 2).Offered); // Tuesday
        Assert.Equal(0, report.ByDayOfWeek.Where(d => d.Slot != 2).Sum(d => d.Offered));
    }

    [Fact]
    public async Task A_department_without_calls_is_listed_with_zeros_and_its_own_report_is_empty()
    {
        var report = await DailyAsync();
        var parks = report.Departments.Single(d => d.Id == city.Parks);
        Assert.Equal((0, 0, 0, 0, 0), (parks.Offered, parks.Answered, parks.Abandoned, parks.TicketsOpened, parks.TicketsOverdue));
        Assert.Null(parks.AbandonRate);
        Assert.Null(parks.AverageSpeedOfAnswerSeconds);

        var own = await DailyAsync(new ReportScope([city.Parks]));
        Assert.Equal(0, own.Calls.Offered);
        Assert.Null(own.Calls.ServiceLevel);
        Assert.Null(own.Calls.AverageSpeedOfAnswerSeconds);
        Assert.Empty(own.Tickets);
        Assert.Empty(own.Agents);
        Assert.Equal(["Parcuri"], own.ScopeNames);
        Assert.Empty(own.Findings);
    }

    [Fact]
    public async Task Department_report_covers_only_that_department()
    {
        var taxes = await DailyAsync(new ReportScope([city.Taxes]));

        Assert.Equal(5, taxes.Calls.Offered);
        Assert.Equal(2, taxes.Calls.Answered);
        Assert.Equal(2, taxes.Calls.Abandoned);
        Assert.Equal(1, taxes.Calls.CallbacksRequested);
        Assert.Equal(0, taxes.Calls.CallbacksCompleted);
        Assert.Equal(25, taxes.Calls.AverageSpeedOfAnswerSeconds!.Value, Tolerance);
        Assert.Equal([city.Taxes], taxes.Departments.Select(d => d.Id));
        Assert.Equal(["Ana"], taxes.Agents.Select(a => a.Name));
    }

    [Fact]
    public async Task Agent_time_is_clipped_to_the_day_and_talk_time_comes_from_answered_calls()
    {
        var agents = (await DailyAsync()).Agents.ToDictionary(a => a.Name);

        Assert.Equal(9 * 3600, agents["Ana"].LoggedInSeconds, Tolerance);
        Assert.Equal(30 * 60, agents["Ana"].PausedSeconds, Tolerance);
        Assert.Equal(400, agents["Ana"].TalkingSeconds, Tolerance);
        Assert.Equal(2, agents["Ana"].CallsAnswered);
        // Logged in since the evening before: only 00:00-02:00 belongs to this day.
        Assert.Equal(2 * 3600, agents["Ion"].LoggedInSeconds, Tolerance);
        Assert.Equal(420, agents["Ion"].TalkingSeconds, Tolerance);
    }

    [Fact]
    public async Task Tickets_are_grouped_by_kind_and_department_with_overdue_and_resolution_time()
    {
        var tickets = (await DailyAsync()).Tickets.ToDictionary(t => (t.Kind, t.Department));

        Assert.Equal(5, tickets.Count);
        Assert.Equal((1, 1, 0), (tickets[("request", "Taxe")].Opened, tickets[("request", "Taxe")].Resolved, tickets[("request", "Taxe")].Overdue));
        Assert.Equal(6 + (55 / 60.0), tickets[("request", "Taxe")].AverageResolutionHours!.Value, Tolerance);
        // Opened days earlier, due on the day, still open: overdue here, not opened here.
        Assert.Equal((0, 0, 1), (tickets[("complaint", "Taxe")].Opened, tickets[("complaint", "Taxe")].Resolved, tickets[("complaint", "Taxe")].Overdue));
        Assert.Equal(2, tickets[("complaint", "Drumuri")].AverageResolutionHours!.Value, Tolerance);
        Assert.Equal((1, 0, 0), (tickets[("callback", "Taxe")].Opened, tickets[("callback", "Taxe")].Resolved, tickets[("callback", "Taxe")].Overdue));
        Assert.Null(tickets[("callback", "Taxe")].AverageResolutionHours);
        Assert.Equal(1, tickets[("callback", "Drumuri")].Resolved);
    }

    [Fact]
    public async Task Satisfaction_averages_the_ratings_and_lists_the_low_ones_worst_first()
    {
        var satisfaction = (await DailyAsync()).Satisfaction;

        Assert.Equal(3, satisfaction.Rated);
        Assert.Equal((5 + 1 + 2) / 3.0, satisfaction.Average!.Value, Tolerance);
        Assert.Equal([1, 2], satisfaction.LowRatings.Select(l => l.Rating));
        Assert.All(satisfaction.LowRatings, l => Assert.Equal("Drumuri", l.Department));
    }

    [Fact]
    public async Task Findings_name_the_failing_ivr_node_the_department_over_its_abandon_rate_and_the_repeat_callers()
    {
        var report = await DailyAsync();

        var main = report.IvrNodes.Single(n => n.Node == "main");
        // Callers, not timeout events: c7 timed out twice (one caller), c1 timed out twice but then reached a queue (none).
        Assert.Equal((5, 1, 2), (main.Visits, main.Hangups, main.Timeouts));
        var ivr = Assert.Single(report.Findings, f => f.Kind == FindingKind.IvrNode);
        Assert.Equal("main", ivr.Subject);
        Assert.Equal(3, ivr.Count);
        Assert.Equal(5, ivr.Total);
        Assert.Equal(0.6, ivr.Value, Tolerance);
        Assert.Equal(3, ivr.Examples.Count);
        Assert.All(ivr.Examples, e => Assert.Contains("•••••••", e, StringComparison.Ordinal));

        // Taxes: 2 abandoned of 4 decided = 50 % > 10 %; Roads has 1 answered, 0 abandoned; Parks nothing.
        var abandon = Assert.Single(report.Findings, f => f.Kind == FindingKind.DepartmentAbandonRate);
        Assert.Equal(("Taxe", 0.5, 2), (abandon.Subject, abandon.Value, abandon.Count));
        Assert.DoesNotContain(report.Findings, f => f.Kind == FindingKind.DepartmentOverdueTickets);

        // X called twice on the day, Y three days after a call, Z the morning after a late call.
        var repeat = Assert.Single(report.Findings, f => f.Kind == FindingKind.RepeatCallers);
        Assert.Equal(3, repeat.Value);
        Assert.Equal(["•••••••001", "•••••••002", "•••••••003"], report.RepeatCallers.Select(r => r.MaskedCaller).Order());
    }

    [Fact]
    public async Task Weekly_and_monthly_reports_cover_monday_to_sunday_and_the_calendar_month()
    {
        var builder = city.Builder();
        var week = await builder.BuildAsync(ReportPeriod.Containing(ReportKind.Weekly, SeededCity.Day, Bucharest), ReportScope.City, CancellationToken.None);
        var month = await builder.BuildAsync(ReportPeriod.Containing(ReportKind.Monthly, SeededCity.Day, Bucharest), ReportScope.City, CancellationToken.None);

        Assert.Equal(new DateOnly(2026, 3, 9), week.Period.FirstDay);
        // The day's 10, Monday 23:50 and Wednesday 00:30; Saturday 7 March is the week before.
        Assert.Equal(12, week.Calls.Offered);
        Assert.Equal(1, week.ByDayOfWeek.Single(d => d.Slot == 1).Offered);
        Assert.Equal(1, week.ByDayOfWeek.Single(d => d.Slot == 3).Offered);
        Assert.Equal(13, month.Calls.Offered);
        Assert.Equal(1, month.ByDayOfWeek.Single(d => d.Slot == 6).Offered);
    }
}
