namespace CityContact.Service.Features.Reports;

public enum ReportKind
{
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// <summary>
/// A calendar period in the city's time zone: [FirstDay, EndDay) as local dates and the UTC instants of their
/// local midnights, so a day on which clocks change lasts 23 or 25 hours.
/// </summary>
public sealed record ReportPeriod(ReportKind Kind, DateOnly FirstDay, DateOnly EndDay, DateTime FromUtc, DateTime ToUtc)
{
    public TimeSpan Length => ToUtc - FromUtc;

    /// <summary>The period of <paramref name="kind"/> that contains <paramref name="day"/> (weeks start on Monday).</summary>
    public static ReportPeriod Containing(ReportKind kind, DateOnly day, TimeZoneInfo zone)
    {
        var first = kind switch
        {
            ReportKind.Daily => day,
            ReportKind.Weekly => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
            ReportKind.Monthly => new DateOnly(day.Year, day.Month, 1),
            ReportKind.Yearly => new DateOnly(day.Year, 1, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var end = kind switch
        {
            ReportKind.Daily => first.AddDays(1),
            ReportKind.Weekly => first.AddDays(7),
            ReportKind.Monthly => first.AddMonths(1),
            _ => first.AddYears(1),
        };
        return new ReportPeriod(kind, first, end, LocalMidnightInUtc(first, zone), LocalMidnightInUtc(end, zone));
    }

    /// <summary>The last period that had ended by <paramref name="instant"/>: what a schedule firing then reports on.</summary>
    public static ReportPeriod LastCompleteBefore(ReportKind kind, DateTimeOffset instant, TimeZoneInfo zone)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
        var current = Containing(kind, today, zone);
        return Containing(kind, current.FirstDay.AddDays(-1), zone);
    }

    private static DateTime LocalMidnightInUtc(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // Where a zone skips midnight itself (e.g. America/Santiago), the day starts at the first instant that exists.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}
