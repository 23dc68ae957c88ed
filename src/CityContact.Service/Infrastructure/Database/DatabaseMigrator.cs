using System.Reflection;
using DbUp;
using DbUp.Engine.Output;
using Npgsql;

namespace CityContact.Service.Infrastructure.Database;

/// <summary>Applies the numbered scripts of sql/ (embedded in this assembly) with DbUp's journal.</summary>
public sealed class DatabaseMigrator(NpgsqlDataSource dataSource, ILogger<DatabaseMigrator> logger)
{
    // Any constant shared by every instance of the service: two instances starting together migrate one after the other.
    private const long MigrationLockKey = 0x43_69_74_79_43_6F_6E; // "CityCon"

    public static IReadOnlyList<string> ScriptNames { get; } =
        [.. typeof(DatabaseMigrator).Assembly.GetManifestResourceNames()
            .Where(IsMigrationScript)
            .Order(StringComparer.Ordinal)];

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", lockConnection))
        {
            take.Parameters.AddWithValue("key", MigrationLockKey);
            await take.ExecuteNonQueryAsync(ct);
        }
        try
        {
            // DbUp is synchronous; keep it off the caller's thread.
            var result = await Task.Run(() => DeployChanges.To
                .PostgresqlDatabase(dataSource.ConnectionString)
                .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), IsMigrationScript)
                .WithTransactionPerScript()
                .JournalToPostgresqlTable("public", "schemaversions")
                .LogTo(new DbUpLog(logger))
                .Build()
                .PerformUpgrade(), ct);
            if (!result.Successful)
            {
                throw new InvalidOperationException(
                    $"Migration {result.ErrorScript?.Name ?? "?"} failed: {result.Error.Message}", result.Error);
            }
            foreach (var script in result.Scripts)
            {
                logger.LogInformation("Applied migration {Script}", script.Name);
            }
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", lockConnection);
            release.Parameters.AddWithValue("key", MigrationLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>The scripts this build knows and the database has not applied yet (all of them when there is no journal).</summary>
    public async Task<IReadOnlyList<string>> PendingScriptsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT scriptname FROM public.schemaversions", connection);
        var applied = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                applied.Add(reader.GetString(0));
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return ScriptNames;
        }
        return [.. ScriptNames.Where(name => !applied.Contains(name))];
    }

    private static bool IsMigrationScript(string resourceName) =>
        resourceName.StartsWith("sql/", StringComparison.Ordinal) && resourceName.EndsWith(".sql", StringComparison.Ordinal);

    private sealed class DbUpLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) => logger.LogTrace("DbUp: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogDebug(string format, params object[] args) => logger.LogDebug("DbUp: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogInformation(string format, params object[] args) => logger.LogDebug("DbUp: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogWarning(string format, params object[] args) => logger.LogWarning("DbUp: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogError(string format, params object[] args) => logger.LogError("DbUp: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, "DbUp: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    }
}
