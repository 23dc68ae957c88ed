using System.Globalization;
using Quartz;

namespace CityContact.Service.Features.Queues;

/// <summary>
/// Fired by Quartz (on one instance of the cluster) when callback request <see cref="RequestIdKey"/> is due, or when
/// the lease of its attempt in flight should be checked: hands the request to this instance's <see cref="CallbackRunner"/>,
/// which claims it in the database and dials it. The job returns at once; a callback waits for its agent in the runner,
/// not in one of Quartz's few worker slots.
/// </summary>
public sealed class CallbackJob(CallbackRunner runner) : IJob
{
    public const string RequestIdKey = "requestId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var id = long.Parse(context.MergedJobDataMap.GetString(RequestIdKey)!, CultureInfo.InvariantCulture);
        await runner.FireAsync(id, cancellationToken);
    }
}

/// <summary>
/// One Quartz job and one simple trigger per callback request, both keyed by the request id, in the clustered job
/// store: scheduling again replaces the trigger, so a request never has two firings pending.
/// </summary>
public sealed class CallbackTriggers(ISchedulerFactory schedulers)
{
    private const string Group = "callbacks";

    public static JobKey JobKeyOf(long requestId) => new($"callback-{requestId.ToString(CultureInfo.InvariantCulture)}", Group);

    public static TriggerKey TriggerKeyOf(long requestId) => new($"callback-{requestId.ToString(CultureInfo.InvariantCulture)}", Group);

    /// <summary>Fires request <paramref name="requestId"/> at <paramref name="at"/> (a moment past fires at once), replacing its pending firing.</summary>
    public async Task ScheduleAsync(long requestId, DateTimeOffset at, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var job = JobBuilder.Create<CallbackJob>()
            .WithIdentity(JobKeyOf(requestId))
            .UsingJobData(CallbackJob.RequestIdKey, requestId.ToString(CultureInfo.InvariantCulture))
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(TriggerKeyOf(requestId))
            .ForJob(job)
            .StartAt(at)
            // Late (a scheduler was down): fire as soon as one runs; the claim decides whether there is still work.
            .WithSimpleSchedule(simple => simple.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        await scheduler.ScheduleJob(job, [trigger], new ScheduleJobOptions { Replace = true }, ct);
    }

    /// <summary>When the request's trigger fires next; null when it has none.</summary>
    public async Task<DateTimeOffset?> NextFireAsync(long requestId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        return (await scheduler.GetTrigger(TriggerKeyOf(requestId), ct))?.NextFireTimeUtc;
    }

    /// <summary>The request is over: its job and trigger go.</summary>
    public async Task RemoveAsync(long requestId, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        await scheduler.DeleteJob(JobKeyOf(requestId), ct);
    }
}
