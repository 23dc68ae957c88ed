using CityContact.Service.Features.Schedules;
using CityContact.Service.Infrastructure.Configuration;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Tickets;

/// <summary>
/// Due times from a category's SLA: counted in the business hours of the department's schedule, else of the
/// city's default schedule (Tickets:DefaultScheduleCode), else Monday–Friday 08:00–16:00 in City:TimeZone.
/// </summary>
public sealed class SlaDeadlines(NpgsqlDataSource dataSource, ScheduleStore schedules, IOptions<TicketsOptions> tickets, IOptions<CityOptions> city)
{
    public async Task<DateTimeOffset> DueAtAsync(long departmentId, int slaBusinessHours, DateTimeOffset start, CancellationToken ct) =>
        (await CalendarForAsync(departmentId, ct)).Add(start, TimeSpan.FromHours(slaBusinessHours));

    public async Task<BusinessHoursCalendar> CalendarForAsync(long? departmentId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var scheduleId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            SELECT coalesce((SELECT schedule_id FROM departments WHERE id = @departmentId),
                            (SELECT id FROM schedules WHERE code = @code))
            """, new { departmentId, code = tickets.Value.DefaultScheduleCode }, cancellationToken: ct));
        if (scheduleId is { } id && await schedules.GetAsync(id, ct) is { Hours.Count: > 0 } schedule)
        {
            return BusinessHoursCalendar.For(schedule);
        }
        return BusinessHoursCalendar.Weekdays8To16(TimeZoneInfo.FindSystemTimeZoneById(city.Value.TimeZone));
    }
}
