using Npgsql;
using Quartz;

namespace CityContact.Service.Infrastructure.Scheduling;

/// <summary>
/// Quartz with its ADO job store in our PostgreSQL (tables from sql/0020_quartz.sql), clustered: every instance
/// of the service runs a scheduler on the same rows, and Quartz's row lock lets exactly one fire each trigger.
/// Schedules survive restarts because they live in the database.
/// </summary>
public static class SchedulingSetup
{
    public const string SchedulerName = "CityContact";

    public static void AddScheduling(this WebApplicationBuilder builder)
    {
        builder.Services.AddQuartz(quartz => UseClusteredPostgres(quartz,
            source => source.DataSourceFactory = services => services.GetRequiredService<NpgsqlDataSource>()));
        // Registered after the migration's hosted service, so the scheduler starts on existing qrtz_* tables.
        builder.Services.AddQuartzHostedService(options => options.WaitForJobsToComplete = true);
    }

    /// <summary>The one store configuration, shared by the service and by the tests that start several schedulers.</summary>
    public static void UseClusteredPostgres(IQuartzBuilder quartz, Action<DataSourceOptions> source, string? instanceId = null)
    {
        quartz.ConfigureScheduler(scheduler =>
        {
            // The cluster is every scheduler with this name on the same tables.
            scheduler.InstanceName = SchedulerName;
            if (instanceId is null)
            {
                scheduler.GenerateInstanceId = true;
            }
            else
            {
                scheduler.InstanceId = instanceId;
            }
        });
        quartz.UsePersistentStore(store =>
        {
            store.UsePostgres(source);
            store.UseClustering(clustering => clustering.CheckinInterval = TimeSpan.FromSeconds(10));
            store.UseSystemTextJsonSerializer();
        });
    }
}
