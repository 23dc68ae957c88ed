using System.Diagnostics;

namespace CityContact.Benchmarks;

/// <summary>CITYCONTACT_BENCH_DB, or a throwaway cluster from scripts/pg.sh stopped and removed afterwards.</summary>
internal sealed class PostgresForBench : IAsyncDisposable
{
    private readonly string? _directory;

    private PostgresForBench(string connectionString, string? directory)
    {
        ConnectionString = connectionString;
        _directory = directory;
    }

    public string ConnectionString { get; }

    public static async Task<PostgresForBench> StartAsync(CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("CITYCONTACT_BENCH_DB") is { Length: > 0 } given)
        {
            return new PostgresForBench(given, null);
        }
        var directory = Path.Combine(Path.GetTempPath(), "cc-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var output = await PgShAsync("start", directory, ct);
        return new PostgresForBench(output.Trim().Split('\n')[^1], directory);
    }

    public async ValueTask DisposeAsync()
    {
        if (_directory is not null)
        {
            await PgShAsync("stop", _directory, CancellationToken.None);
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static async Task<string> PgShAsync(string command, string directory, CancellationToken ct)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root() };
        foreach (var argument in new[] { "scripts/pg.sh", command, directory })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        var errors = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"scripts/pg.sh {command} failed: {errors}");
    }
}
