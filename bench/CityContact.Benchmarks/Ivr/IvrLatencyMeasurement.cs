using System.Collections.Concurrent;
using System.Diagnostics;
using CityContact.Service;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Simulator;
using CityContact.Simulator.Changes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Benchmarks.Ivr;

/// <summary>
/// The whole service (default flow, write-behind recorder, a real PostgreSQL) against its in-process simulator:
/// N calls dial at once; for each, the time from the simulator emitting StasisStart to the service's answer request
/// (the ARI event → REST reaction: WebSocket, parsing, per-call lane, handler, call row queued, HTTP request), and
/// the set-up rate (first dial → every call answered and playing its welcome prompt). The database is
/// CITYCONTACT_BENCH_DB (a server connection string) or a throwaway cluster started with scripts/pg.sh.
/// </summary>
public sealed class IvrLatencyMeasurement : IScenarioMeasurement
{
    private static readonly int[] Levels = [100, 1_000];
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    public string Title => "IVR: ARI event → REST reaction and call set-ups, service + simulator + PostgreSQL";

    public async Task<IReadOnlyList<MeasuredFigure>> RunAsync(CancellationToken cancellationToken)
    {
        await using var server = await PostgresForBench.StartAsync(cancellationToken);
        var figures = new List<MeasuredFigure>();
        foreach (var level in Levels)
        {
            figures.AddRange(await MeasureAsync(server.ConnectionString, level, cancellationToken));
        }
        return figures;
    }

    private static async Task<IReadOnlyList<MeasuredFigure>> MeasureAsync(string serverConnectionString, int calls, CancellationToken ct)
    {
        var database = $"cc_bench_{Guid.NewGuid():N}"[..24];
        await using (var admin = NpgsqlDataSource.Create(serverConnectionString))
        {
            await admin.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync(ct);
        }
        try
        {
            // The service's own in-process simulator is a development composition (Production refuses it).
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:CityContact"] = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database, MaxPoolSize = 50 }.ConnectionString,
                ["Auth:BootstrapAdminKey"] = "cc_bench_" + Guid.NewGuid().ToString("N"),
                ["Serilog:MinimumLevel:Default"] = "Warning",
                ["Urls"] = "http://127.0.0.1:0",
                ["Simulator:UseSoundFiles"] = "false",
                // Every call stays in its welcome prompt while the others are set up.
                ["Simulator:DefaultMediaLengthMs"] = "600000",
            });
            builder.AddCityContact();
            await using var app = builder.Build();
            app.UseCityContact();
            await app.StartAsync(ct);
            var sim = app.Services.GetRequiredService<AsteriskConnection>().Simulator!;
            var catalog = app.Services.GetRequiredService<FlowCatalog>();
            await Sampling.UntilAsync(() => catalog.Loaded && sim.ConnectedApplications.Count > 0, Bound, ct);

            // Warm-up: the first calls pay for JIT and for opening the HTTP and PostgreSQL connections.
            const int warmUp = 20;
            for (var i = 0; i < warmUp; i++)
            {
                sim.Trunk.Dial($"+40257{i:000000}", "0256969");
            }
            await Sampling.UntilAsync(() => sim.Playbacks.Count >= warmUp, Bound, ct);

            var entered = new ConcurrentDictionary<string, DateTimeOffset>();
            using var subscription = sim.SubscribeStateChanges(change =>
            {
                if (change is StasisEntered stasis)
                {
                    entered.TryAdd(stasis.Channel.UniqueId, stasis.Timestamp);
                }
            });
            var ivr = app.Services.GetRequiredService<IvrApp>();
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < calls; i++)
            {
                sim.Trunk.Dial($"+40256{i:000000}", "0256969");
            }
            var setUp = await Sampling.UntilAsync(() => sim.Playbacks.Count >= warmUp + calls, Bound, ct);
            var elapsed = Stopwatch.GetElapsedTime(started);

            var answers = sim.Requests.Where(r => r.Method == "POST" && r.Path.EndsWith("/answer", StringComparison.Ordinal))
                .Select(r => (Channel: r.Path.Split('/')[3], r.Timestamp))
                .Where(r => entered.ContainsKey(r.Channel))
                .Select(r => (r.Timestamp - entered[r.Channel]).TotalMilliseconds)
                .Order()
                .ToArray();
            var note = setUp ? $"{answers.Length} calls dialed at once, after {warmUp} warm-up calls" : $"only {sim.Playbacks.Count - warmUp} of {calls} playing after {Bound.TotalSeconds:0} s";
            var figures = new List<MeasuredFigure>
            {
                new($"{calls:#,0} concurrent calls: StasisStart → answer request, p50", Sampling.Percentile(answers, 0.50), "ms", note),
                new($"{calls:#,0} concurrent calls: StasisStart → answer request, p99", Sampling.Percentile(answers, 0.99), "ms", $"max {answers.LastOrDefault():0.0} ms"),
                new($"{calls:#,0} concurrent calls: set-ups per second", calls / elapsed.TotalSeconds, "calls/s", $"dial → answered and playing the welcome, all {calls:#,0} in {elapsed.TotalSeconds:0.00} s, {ivr.ActiveCalls - warmUp} handlers live"),
            };
            await app.StopAsync(CancellationToken.None);
            return figures;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = NpgsqlDataSource.Create(serverConnectionString);
            await admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)").ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
