using System.Globalization;
using CityContact.Service.Infrastructure.Configuration;
using Quartz;

namespace CityContact.Service.Features.Reports;

/// <summary>Fired by Quartz (on exactly one instance of the cluster) for a report schedule: sends the last complete period.</summary>
[DisallowConcurrentExecution]
public sealed class ReportJob(ReportScheduleStore schedules, ReportDelivery delivery, IOptions<CityOptions> city, ILogger<ReportJob> logger) : IJob
{
    public const string ScheduleIdKey = "scheduleId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var scheduleId = long.Parse(context.MergedJobDataMap.GetString(ScheduleIdKey)!, CultureInfo.InvariantCulture);
        if (await schedules.GetAsync(scheduleId, cancellationToken) is not { Enabled: true } schedule)
        {
            logger.LogInformation("Report schedule {ScheduleId} is gone or disabled; nothing sent", scheduleId);
            return;
        }
        var zone = TimeZoneInfo.FindSystemTimeZoneById(city.Value.TimeZone);
        var firedAt = context.ScheduledFireTimeUtc ?? context.FireTimeUtc;
        var period = ReportPeriod.LastCompleteBefore(ReportSchedules.KindOf(schedule.Kind), firedAt, zone);
        await delivery.SendAsync(new ReportRequest(period, new ReportScope(schedule.DepartmentIds), schedule.Recipients, schedule.Language,
            schedule.Id, ReportTriggers.Schedule, $"schedule:{schedule.Id}"), cancellationToken);
    }
}

/// <summary>Keeps Quartz's job store in step with report_schedules: one durable job and one cron trigger per enabled schedule.</summary>
public sealed class ReportSchedules(ISchedulerFactory schedulers)
{
    private const string Group = "reports";

    public static ReportKind KindOf(string kind) => Enum.Parse<ReportKind>(kind, ignoreCase: true);

    public static JobKey JobKeyOf(long scheduleId) => new($"report-{scheduleId.ToString(CultureInfo.InvariantCulture)}", Group);

    public async Task ApplyAsync(ReportSchedule schedule, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        if (!schedule.Enabled)
        {
            await scheduler.DeleteJob(JobKeyOf(schedule.Id), ct);
            return;
        }
        var key = JobKeyOf(schedule.Id);
        var job = JobBuilder.Create<ReportJob>()
            .WithIdentity(key)
            .UsingJobData(ScheduleIdKey, schedule.Id.ToString(CultureInfo.InvariantCulture))
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(key.Name, Group)
            .ForJob(key)
            .WithCronSchedule(schedule.Cron, cron => cron.InTimeZone(TimeZoneInfo.FindSystemTimeZoneById(schedule.TimeZone)))
            .Build();
        await scheduler.ScheduleJob(job, [trigger], new ScheduleJobOptions { Replace = true }, ct);
    }

    public async Task RemoveAsync(long scheduleId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await scheduler.DeleteJob(JobKeyOf(scheduleId), ct);
    }

    private const string ScheduleIdKey = ReportJob.ScheduleIdKey;
}
