using CityContact.Service.Features.Schedules;

namespace CityContact.Service.Features.Tickets;

/// <summary>
/// Counts business hours over a weekly pattern and dated holidays (closed, or shortened hours), read in the
/// schedule's own time zone. Opening and closing times are local wall-clock times turned into instants day by
/// day, so 08:00 stays 08:00 across a DST change and an interval spanning the change counts its real length.
/// </summary>
public sealed class BusinessHoursCalendar
{
    // A pattern with no opening at all in this many days is a configuration error, not a long wait.
    private const int MaxDaysSearched = 3660;

    private readonly TimeZoneInfo zone;
    private readonly ILookup<int, OpeningHours> hoursByIsoDay;
    private readonly Dictionary<DateOnly, Holiday> holidays;

    public BusinessHoursCalendar(TimeZoneInfo zone, IEnumerable<OpeningHours> hours, IEnumerable<Holiday> holidays)
    {
        this.zone = zone;
        hoursByIsoDay = hours.OrderBy(h => h.Opens).ToLookup(h => h.DayOfWeek);
        this.holidays = holidays.ToDictionary(h => h.Day);
        if (hoursByIsoDay.Count == 0 && !this.holidays.Values.Any(h => h.Opens is not null))
        {
            throw new ArgumentException("A business-hours calendar needs at least one opening interval", nameof(hours));
        }
    }

    public static BusinessHoursCalendar For(Schedule schedule) =>
        new(TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone), schedule.Hours, schedule.Holidays);

    /// <summary>Monday to Friday, 08:00–16:00 local: the deadline basis when no schedule is configured.</summary>
    public static BusinessHoursCalendar Weekdays8To16(TimeZoneInfo zone) =>
        new(zone, [.. Enumerable.Range(1, 5).Select(day => new OpeningHours(day, new TimeOnly(8, 0), new TimeOnly(16, 0)))], []);

    public TimeZoneInfo TimeZone => zone;

    /// <summary>
    /// The instant at which <paramref name="businessTime"/> of open time has elapsed after <paramref name="start"/>.
    /// A start outside the hours begins counting at the next opening.
    /// </summary>
    public DateTimeOffset Add(DateTimeOffset start, TimeSpan businessTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(businessTime, TimeSpan.Zero);
        var remaining = businessTime;
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime);
        for (var searched = 0; searched < MaxDaysSearched; searched++, day = day.AddDays(1))
        {
            foreach (var (opens, closes) in IntervalsOn(day))
            {
                var from = opens > start ? opens : start;
                if (from >= closes)
                {
                    continue;
                }
                var available = closes - from;
                if (remaining <= available)
                {
                    return (from + remaining).ToOffset(zone.GetUtcOffset(from + remaining));
                }
                remaining -= available;
            }
        }
        throw new InvalidOperationException($"No business hours found within {MaxDaysSearched} days of {start:O}");
    }

    /// <summary>The open intervals of a local day as instants, in order.</summary>
    public IEnumerable<(DateTimeOffset Opens, DateTimeOffset Closes)> IntervalsOn(DateOnly day)
    {
        if (holidays.TryGetValue(day, out var holiday))
        {
            if (holiday is { Opens: { } opens, Closes: { } closes })
            {
                yield return (InstantOf(day, opens), InstantOf(day, closes));
            }
            yield break;
        }
        var isoDay = day.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)day.DayOfWeek;
        foreach (var hours in hoursByIsoDay[isoDay])
        {
            yield return (InstantOf(day, hours.Opens), InstantOf(day, hours.Closes));
        }
    }

    /// <summary>
    /// A local wall-clock time as an instant. A time skipped by the spring-forward gap is read with the offset
    /// before the change (02:30 → 03:30 after a one-hour jump); a repeated autumn time is its first occurrence.
    /// </summary>
    private DateTimeOffset InstantOf(DateOnly day, TimeOnly time)
    {
        var local = day.ToDateTime(time, DateTimeKind.Unspecified);
        TimeSpan offset;
        if (zone.IsInvalidTime(local))
        {
            offset = zone.GetUtcOffset(local.AddHours(-12));
        }
        else if (zone.IsAmbiguousTime(local))
        {
            offset = zone.GetAmbiguousTimeOffsets(local).Max();
        }
        else
        {
            offset = zone.GetUtcOffset(local);
        }
        var instant = new DateTimeOffset(local.Ticks - offset.Ticks, TimeSpan.Zero);
        return instant.ToOffset(zone.GetUtcOffset(instant));
    }
}
