using System.Collections.Concurrent;
using CityContact.Service.Infrastructure.Scheduling;
using CityContact.Service.Tests.Infrastructure;
using Quartz;

namespace CityContact.Service.Tests.Reports;

public sealed class QuartzClusterTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly string[] Nodes = ["node-a", "node-b"];
    private static readonly ConcurrentQueue<(string Instance, DateTimeOffset? ScheduledFor)> Fired = new();

    /// <summary>Records which scheduler instance ran it, for which scheduled instant.</summary>
    public sealed class RecordingJob : IJob
    {
        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
        {
            Fired.Enqueue((context.Scheduler.SchedulerInstanceId, context.ScheduledFireTimeUtc));
            return ValueTask.CompletedTask;
        }
    }

    private Task<IScheduler> SchedulerAsync(string instanceId) =>
        QuartzSchedulerBuilder.Create(quartz => SchedulingSetup.UseClusteredPostgres(quartz, source => source.ConnectionString = database.ConnectionString, instanceId))
            .BuildScheduler().AsTask();

    private async Task<long> FiredTriggerRowsAsync()
    {
        await using var command = database.DataSource.CreateCommand("SELECT count(*) FROM qrtz_fired_triggers");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Two_clustered_schedulers_on_one_database_fire_each_trigger_once()
    {
        var first = await SchedulerAsync("node-a");
        var second = await SchedulerAsync("node-b");
        await first.Start();
        await second.Start();
        try
        {
            var job = JobBuilder.Create<RecordingJob>().WithIdentity("recording", "cluster-test").Build();
            var trigger = TriggerBuilder.Create().WithIdentity("recording", "cluster-test").StartAt(DateTimeOffset.UtcNow.AddSeconds(1))
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMilliseconds(500)).WithRepeatCount(5)).Build();
            await second.ScheduleJob(job, [trigger], default);

            // Done when the trigger has fired its last time and neither node holds it any more.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (Fired.Count < 6 || await first.GetTriggerState(trigger.Key, timeout.Token) != TriggerState.None || await FiredTriggerRowsAsync() > 0)
            {
                await Task.Delay(100, timeout.Token);
            }

            Assert.Equal(6, Fired.Count);
            Assert.Equal(6, Fired.Select(f => f.ScheduledFor).Distinct().Count());
            Assert.All(Fired, f => Assert.Contains(f.Instance, Nodes));
        }
        finally
        {
            await first.Shutdown(waitForJobsToComplete: true);
            await second.Shutdown(waitForJobsToComplete: true);
        }
    }
}
