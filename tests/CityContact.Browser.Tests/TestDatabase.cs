using System.Diagnostics;
using CityContact.Service.Infrastructure.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CityContact.Browser.Tests;

/// <summary>
/// A fresh, migrated database for the console tests on the run's PostgreSQL server: CITYCONTACT_TEST_DB when `make test`
/// started one, otherwise a throwaway cluster started with scripts/pg.sh and stopped at exit (so a plain `dotnet test` works).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly Lazy<string> Server = new(StartServer, LazyThreadSafetyMode.ExecutionAndPublication);

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(CancellationToken ct)
    {
        var name = $"cc_browser_{Guid.NewGuid():N}"[..24];
        await using (var server = NpgsqlDataSource.Create(Server.Value))
        {
            await server.CreateCommand($"CREATE DATABASE {name}").ExecuteNonQueryAsync(ct);
        }
        var connectionString = new NpgsqlConnectionStringBuilder(Server.Value) { Database = name }.ConnectionString;
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            DapperConventions.Apply();
            await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(ct);
        }
        return new TestDatabase(name, connectionString);
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CityContact.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"CityContact.sln not found above {AppContext.BaseDirectory}");
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var server = NpgsqlDataSource.Create(Server.Value);
        await server.CreateCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)").ExecuteNonQueryAsync();
    }

    private static string StartServer()
    {
        var configured = Environment.GetEnvironmentVariable("CITYCONTACT_TEST_DB");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }
        var root = RepositoryRoot();
        var directory = Path.Combine(Path.GetTempPath(), $"citycontact-browser-tests-{Environment.ProcessId}");
        var connectionString = RunBash($"bash scripts/pg.sh start '{directory}'", root).Trim();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunBash($"bash scripts/pg.sh stop '{directory}'; rm -rf '{directory}'", root);
        return connectionString;
    }

    private static string RunBash(string script, string root)
    {
        using var process = Process.Start(new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{script} failed: {error}");
    }
}
