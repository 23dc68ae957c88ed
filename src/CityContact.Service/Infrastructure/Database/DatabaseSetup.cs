using Microsoft.Extensions.Diagnostics.HealthChecks;
using CityContact.Service.Infrastructure.Configuration;
using Npgsql;

namespace CityContact.Service.Infrastructure.Database;

public static class DatabaseSetup
{
    public static void AddDatabase(this WebApplicationBuilder builder)
    {
        DapperConventions.Apply();
        builder.Services.AddSingleton(services =>
        {
            // Reading the options validates them, so a missing connection string fails with the setting's name.
            var connectionString = services.GetRequiredService<IOptions<DatabaseOptions>>().Value.CityContact;
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            // Every call writes the same few statements (its row, its timeline): prepared once per connection, PostgreSQL
            // stops parsing and planning them for each call. A value in the connection string wins.
            if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            }
            return builder.UseLoggerFactory(services.GetRequiredService<ILoggerFactory>()).Build();
        });
        builder.Services.AddSingleton<DatabaseMigrator>();
        // Registered before every other hosted service so that they start on a migrated database.
        builder.Services.AddHostedService<MigrateOnStart>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: [HealthSetup.ReadyTag]);
    }

    private sealed class MigrateOnStart(DatabaseMigrator migrator) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class DatabaseReadyCheck(DatabaseMigrator migrator) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var pending = await migrator.PendingScriptsAsync(cancellationToken);
                return pending.Count == 0
                    ? HealthCheckResult.Healthy("reachable and migrated")
                    : HealthCheckResult.Unhealthy($"{pending.Count} migration(s) pending, first {pending[0]}");
            }
            catch (NpgsqlException e)
            {
                return HealthCheckResult.Unhealthy("database unreachable", e);
            }
        }
    }
}
