using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Schedules;

/// <summary>Opening hours on an ISO day of week (1 = Monday), local to the schedule's time zone.</summary>
public sealed record OpeningHours(int DayOfWeek, TimeOnly Opens, TimeOnly Closes);

/// <summary>A dated exception: closed all day when <see cref="Opens"/> is null, otherwise shortened hours.</summary>
public sealed record Holiday(DateOnly Day, string Name, TimeOnly? Opens = null, TimeOnly? Closes = null);

public sealed record Schedule(long Id, string Code, string Name, string TimeZone, IReadOnlyList<OpeningHours> Hours, IReadOnlyList<Holiday> Holidays);

public sealed record NewSchedule(string Code, string Name, string TimeZone, IReadOnlyList<OpeningHours> Hours, IReadOnlyList<Holiday> Holidays);

public sealed class ScheduleStore(NpgsqlDataSource dataSource)
{
    private sealed record ScheduleRow(long Id, string Code, string Name, string TimeZone);

    /// <summary>The schedule, its weekly hours and its holidays are written together.</summary>
    public async Task<long> CreateAsync(NewSchedule schedule, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "INSERT INTO schedules (code, name, time_zone) VALUES (@Code, @Name, @TimeZone) RETURNING id",
            schedule, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO schedule_hours (schedule_id, day_of_week, opens, closes) VALUES (@id, @DayOfWeek, @Opens, @Closes)",
            schedule.Hours.Select(h => new { id, DayOfWeek = (short)h.DayOfWeek, h.Opens, h.Closes }),
            transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO holidays (schedule_id, day, name, opens, closes) VALUES (@id, @Day, @Name, @Opens, @Closes)",
            schedule.Holidays.Select(h => new { id, h.Day, h.Name, h.Opens, h.Closes }),
            transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return id;
    }

    public async Task<Schedule?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ScheduleRow>(new CommandDefinition(
            "SELECT id, code, name, time_zone FROM schedules WHERE id = @id", new { id }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }
        var hours = await connection.QueryAsync<OpeningHours>(new CommandDefinition(
            "SELECT day_of_week::int AS day_of_week, opens, closes FROM schedule_hours WHERE schedule_id = @id ORDER BY day_of_week, opens",
            new { id }, cancellationToken: ct));
        var holidays = await connection.QueryAsync<Holiday>(new CommandDefinition(
            "SELECT day, name, opens, closes FROM holidays WHERE schedule_id = @id ORDER BY day",
            new { id }, cancellationToken: ct));
        return new Schedule(row.Id, row.Code, row.Name, row.TimeZone,
            [.. hours], [.. holidays]);
    }

    public async Task<IReadOnlyList<(long Id, string Code, string Name)>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<(long, string, string)>(new CommandDefinition(
            "SELECT id, code, name FROM schedules ORDER BY code", cancellationToken: ct))];
    }

    /// <summary>Every schedule with its hours and holidays (the IVR keeps them in memory).</summary>
    public async Task<IReadOnlyList<Schedule>> AllAsync(CancellationToken ct)
    {
        var list = await ListAsync(ct);
        var all = new List<Schedule>(list.Count);
        foreach (var (id, _, _) in list)
        {
            if (await GetAsync(id, ct) is { } schedule)
            {
                all.Add(schedule);
            }
        }
        return all;
    }

    public async Task<long?> FindIdAsync(string code, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM schedules WHERE code = @code", new { code }, cancellationToken: ct));
    }

    /// <summary>Replaces name, zone, hours and holidays together; false when the schedule does not exist.</summary>
    public async Task<bool> UpdateAsync(long id, NewSchedule schedule, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE schedules SET code = @Code, name = @Name, time_zone = @TimeZone, updated_at = now() WHERE id = @id",
            new { id, schedule.Code, schedule.Name, schedule.TimeZone }, transaction, cancellationToken: ct));
        if (updated == 0)
        {
            return false;
        }
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM schedule_hours WHERE schedule_id = @id; DELETE FROM holidays WHERE schedule_id = @id",
            new { id }, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO schedule_hours (schedule_id, day_of_week, opens, closes) VALUES (@id, @DayOfWeek, @Opens, @Closes)",
            schedule.Hours.Select(h => new { id, DayOfWeek = (short)h.DayOfWeek, h.Opens, h.Closes }), transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO holidays (schedule_id, day, name, opens, closes) VALUES (@id, @Day, @Name, @Opens, @Closes)",
            schedule.Holidays.Select(h => new { id, h.Day, h.Name, h.Opens, h.Closes }), transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return true;
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM schedules WHERE id = @id", new { id }, cancellationToken: ct)) > 0;
    }
}
