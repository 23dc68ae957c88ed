namespace CityContact.Service.Features.Schedules;

public enum HoursState
{
    Open,
    Closed,
    /// <summary>A holiday closed all day, or a shortened holiday outside its hours.</summary>
    Holiday,
}

/// <summary>
/// Whether a schedule is open at an instant: the instant is converted to the schedule's own time zone first,
/// so a DST change (a 23- or 25-hour day) moves nothing — 08:00 local is 08:00 local on either side of it.
/// </summary>
public static class BusinessHours
{
    public static HoursState StateAt(Schedule schedule, DateTimeOffset instant)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone);
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        var day = DateOnly.FromDateTime(local.DateTime);
        var time = TimeOnly.FromDateTime(local.DateTime);
        if (schedule.Holidays.FirstOrDefault(h => h.Day == day) is { } holiday)
        {
            return holiday.Opens is { } opens && holiday.Closes is { } closes && time >= opens && time < closes
                ? HoursState.Open
                : HoursState.Holiday;
        }
        var isoDay = local.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)local.DayOfWeek;
        return schedule.Hours.Any(h => h.DayOfWeek == isoDay && time >= h.Opens && time < h.Closes)
            ? HoursState.Open
            : HoursState.Closed;
    }
}
