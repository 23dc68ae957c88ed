using System.Diagnostics;

namespace CityContact.Service.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server of this test run: CITYCONTACT_TEST_DB when `make test` started one, otherwise a
/// throwaway cluster started here with scripts/pg.sh (so a plain `dotnet test` works) and stopped at exit.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<string> Server = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Connection string to the server, without a database.</summary>
    public static string ConnectionString => Server.Value;

    private static string Start()
    {
        var configured = Environment.GetEnvironmentVariable("CITYCONTACT_TEST_DB");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }
        var root = RepositoryRoot();
        var directory = Path.Combine(Path.GetTempPath(), $"citycontact-service-tests-{Environment.ProcessId}");
        var connectionString = RunBash($"bash scripts/pg.sh start '{directory}'", root).Trim();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunBash($"bash scripts/pg.sh stop '{directory}'; rm -rf '{directory}'", root);
        return connectionString;
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
