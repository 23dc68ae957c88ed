using CityContact.Service.Features.Schedules;
using CityContact.Service.Features.Tickets;

namespace CityContact.Service.Tests.Tickets;

public sealed class BusinessHoursCalendarTests
{
    private static readonly TimeZoneInfo Bucharest = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");

    private static readonly OpeningHours[] Weekdays8To16 =
        [.. Enumerable.Range(1, 5).Select(day => new OpeningHours(day, new TimeOnly(8, 0), new TimeOnly(16, 0)))];

    /// <summary>A wall-clock time in Bucharest as the instant it denotes.</summary>
    private static DateTimeOffset Local(int year, int month, int day, int hour, int minute = 0)
    {
        var local = new DateTime(year, month, day, hour, minute, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Bucharest.GetUtcOffset(local));
    }

    private static BusinessHoursCalendar Calendar(params Holiday[] holidays) => new(Bucharest, Weekdays8To16, holidays);

    [Fact]
    public void Hours_within_one_open_day_end_the_same_day()
    {
        Assert.Equal(Local(2026, 3, 4, 13, 30), Calendar().Add(Local(2026, 3, 4, 9, 30), TimeSpan.FromHours(4)));
    }

    [Fact]
    public void A_start_before_opening_counts_from_the_opening()
    {
        Assert.Equal(Local(2026, 3, 4, 10, 0), Calendar().Add(Local(2026, 3, 4, 5, 0), TimeSpan.FromHours(2)));
    }

    [Fact]
    public void A_start_on_friday_evening_counts_from_monday_morning()
    {
        Assert.Equal(Local(2026, 3, 9, 11, 0), Calendar().Add(Local(2026, 3, 6, 18, 0), TimeSpan.FromHours(3)));
    }

    [Fact]
    public void Hours_left_at_closing_carry_over_the_weekend()
    {
        // Friday 14:00 + 5 h: 2 h on Friday, 3 h on Monday.
        Assert.Equal(Local(2026, 3, 9, 11, 0), Calendar().Add(Local(2026, 3, 6, 14, 0), TimeSpan.FromHours(5)));
    }

    [Fact]
    public void A_holiday_closed_all_day_is_skipped()
    {
        var calendar = Calendar(new Holiday(new DateOnly(2026, 5, 1), "Labour Day"));
        // Thursday 15:00 + 4 h: 1 h on Thursday, Friday 1 May closed, 3 h on Monday.
        Assert.Equal(Local(2026, 5, 4, 11, 0), calendar.Add(Local(2026, 4, 30, 15, 0), TimeSpan.FromHours(4)));
    }

    [Fact]
    public void A_shortened_holiday_counts_only_its_own_hours()
    {
        var calendar = Calendar(new Holiday(new DateOnly(2026, 12, 24), "Christmas Eve", new TimeOnly(9, 0), new TimeOnly(12, 0)));
        // Wednesday 23 Dec 15:00 + 5 h: 1 h, then 3 h on the 24th (09–12), then 1 h on Friday 25th.
        Assert.Equal(Local(2026, 12, 25, 9, 0), calendar.Add(Local(2026, 12, 23, 15, 0), TimeSpan.FromHours(5)));
    }

    [Fact]
    public void Office_hours_keep_their_wall_clock_time_across_the_spring_dst_change()
    {
        // 29 March 2026 at 03:00 Bucharest moves to 04:00 (+02:00 → +03:00). Friday 14:00 + 8 h = Monday 14:00 local,
        // which is 11:00 UTC; adding 8 h of UTC-counted office time would give 12:00 UTC.
        var due = Calendar().Add(Local(2026, 3, 27, 14, 0), TimeSpan.FromHours(8));
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 11, 0, 0, TimeSpan.Zero), due);
        Assert.Equal(TimeSpan.FromHours(3), due.Offset);
    }

    [Fact]
    public void An_interval_over_the_23_hour_day_counts_its_real_length()
    {
        // Open 01:00–05:00 on the Sunday the clocks skip 03:00–04:00: only 3 real hours.
        var calendar = new BusinessHoursCalendar(Bucharest, [new OpeningHours(7, new TimeOnly(1, 0), new TimeOnly(5, 0))], []);
        var start = Local(2026, 3, 29, 1, 0);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 2, 0, 0, TimeSpan.Zero), calendar.Add(start, TimeSpan.FromHours(3)));
        // The fourth hour is on the next Sunday.
        Assert.Equal(Local(2026, 4, 5, 2, 0), calendar.Add(start, TimeSpan.FromHours(4)));
    }

    [Fact]
    public void An_interval_over_the_25_hour_day_counts_its_real_length()
    {
        // Open 01:00–05:00 on the Sunday 04:00 falls back to 03:00: 5 real hours.
        var calendar = new BusinessHoursCalendar(Bucharest, [new OpeningHours(7, new TimeOnly(1, 0), new TimeOnly(5, 0))], []);
        var start = Local(2026, 10, 25, 1, 0);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 3, 0, 0, TimeSpan.Zero), calendar.Add(start, TimeSpan.FromHours(5)));
    }

    [Fact]
    public void An_opening_time_skipped_by_the_spring_change_opens_at_the_same_instant_an_hour_later_on_the_clock()
    {
        var calendar = new BusinessHoursCalendar(Bucharest, [new OpeningHours(7, new TimeOnly(3, 30), new TimeOnly(6, 0))], []);
        var (opens, closes) = Assert.Single(calendar.IntervalsOn(new DateOnly(2026, 3, 29)));
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 4, 30, 0, TimeSpan.FromHours(3)), opens);
        Assert.Equal(TimeSpan.FromMinutes(90), closes - opens);
    }

    [Fact]
    public void A_lunch_break_is_not_counted()
    {
        var calendar = new BusinessHoursCalendar(Bucharest,
            [new OpeningHours(3, new TimeOnly(8, 0), new TimeOnly(12, 0)), new OpeningHours(3, new TimeOnly(13, 0), new TimeOnly(17, 0))], []);
        Assert.Equal(Local(2026, 3, 4, 14, 0), calendar.Add(Local(2026, 3, 4, 11, 0), TimeSpan.FromHours(2)));
    }

    [Fact]
    public void Zero_hours_from_outside_the_hours_is_the_next_opening()
    {
        Assert.Equal(Local(2026, 3, 9, 8, 0), Calendar().Add(Local(2026, 3, 7, 12, 0), TimeSpan.Zero));
    }

    [Fact]
    public void A_schedule_without_any_opening_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new BusinessHoursCalendar(Bucharest, [], []));
    }
}
