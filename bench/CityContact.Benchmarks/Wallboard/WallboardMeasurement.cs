using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Queues;
using CityContact.Simulator;
using CityContact.Simulator.Changes;
using CityContact.Simulator.Clock;
using CityContact.Simulator.Traffic;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Benchmarks.Wallboard;

/// <summary>
/// The supervisor wallboard at 1,000 concurrent calls (issue 13): the service, its simulator and PostgreSQL in one
/// process, Kestrel on a real port. The load generator keeps <see cref="Calls"/> citizens on the line, each waiting in the
/// taxes queue (the flow starts with it; nobody logged in) for 20–60 s, then hanging up and dialling again: about 25
/// joins and 25 abandons a second, each a change of the board. Three windows of <see cref="Window"/>: no board open
/// (the service's CPU), 50 boards open as separate <c>curl</c> processes (the service's CPU, the viewers' own CPU not in
/// it), and 50 boards read in this process (the latency from the simulator's event to each browser's copy).
/// </summary>
public sealed class WallboardMeasurement : IScenarioMeasurement
{
    private const int Calls = 1_000;
    private const int Viewers = 50;
    private const string Number = "0256971";
    private const string AdminKey = "cc_bench_wallboard_admin_key_0123456789";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    public string Title => "Wallboard: update latency and the service's CPU at 1,000 concurrent calls, 0 and 50 boards open";

    public string Description =>
        $"{Calls:#,0} citizens stay on the line, each waiting in the taxes queue 20–60 s, then hanging up and dialling again (about 25 joins "
        + "and 25 abandons a second, each a change of the board). Latency: from the simulator's event (the k-th StasisStart of a caller, "
        + "the k-th hang-up of a waiting caller) to the first board a viewer reads whose queue figures count k offered (abandoned) calls: "
        + "it includes the service's handling of the event (answer, joining the queue), the board's coalescing "
        + "(Wallboard:PublishIntervalMilliseconds, 250 ms) and the HTTP stream; every viewer, every event of the window. CPU: the "
        + "process's CPU time (service + simulator + load generator, one process) over the window's wall time, in % of one core; the 50 boards "
        + "of the CPU window are curl processes, so their reading is not in it. The machine is shared (2 cores, other engineers' builds "
        + "and tests run meanwhile): the load average at each window is given, and the figures are one run's.";

    public async Task<IReadOnlyList<MeasuredFigure>> RunAsync(CancellationToken cancellationToken)
    {
        await using var server = await PostgresForBench.StartAsync(cancellationToken);
        var database = $"cc_bench_{Guid.NewGuid():N}"[..24];
        await using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
        {
            await admin.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            return await MeasureAsync(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database, MaxPoolSize = 50 }.ConnectionString, cancellationToken);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = NpgsqlDataSource.Create(server.ConnectionString);
            await admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)").ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task<IReadOnlyList<MeasuredFigure>> MeasureAsync(string connectionString, CancellationToken ct)
    {
        var clock = new ScaledTimeProvider(1);
        await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            AriUser = "cc-bench",
            AriPassword = Guid.NewGuid().ToString("N"),
            Time = clock,
            DefaultMediaLength = TimeSpan.FromMilliseconds(50),
            PhoneEndpoints = ["agent1"],
            MaxRecordedRequests = 10_000,
        }, ct);
        var events = new EventTimes();
        using var subscription = sim.SubscribeStateChanges(events.Observe);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:CityContact"] = connectionString,
            ["Auth:BootstrapAdminKey"] = AdminKey,
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Urls"] = "http://127.0.0.1:0",
            ["Ari:Url"] = new Uri(sim.AriBaseUrl, "ari").ToString(),
            ["Ari:User"] = sim.Options.AriUser,
            ["Ari:Password"] = sim.Options.AriPassword,
            ["Queues:NoAgents"] = "JoinEmpty",
            ["Queues:OverflowToVoicemail"] = "false",
            ["Queues:AnnounceEverySeconds"] = "3600",
        });
        builder.AddCityContact();
        builder.Services.AddSingleton<TimeProvider>(clock);
        await using var app = builder.Build();
        app.UseCityContact();
        await app.StartAsync(ct);
        var catalog = app.Services.GetRequiredService<FlowCatalog>();
        await Sampling.UntilAsync(() => catalog.Loaded && sim.ConnectedApplications.Contains("citycontact"), Bound, ct);
        var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        await PublishFlowAsync(http, app.Services.GetRequiredService<NpgsqlDataSource>(), ct);
        await app.Services.GetRequiredService<QueueDispatcher>().ReloadAgentsAsync(ct);

        await using var load = LoadGenerator.Start(sim, new LoadOptions { CalledNumber = Number, HoldTime = DurationRange.Seconds(20, 60), Seed = 13 }, Calls);
        if (!await Sampling.UntilAsync(() => WaitingNow(http) >= Calls * 0.95, Bound, ct))
        {
            return [new("FAILED", double.NaN, "", $"only {WaitingNow(http)} of {Calls} callers waiting after {Bound.TotalSeconds:0} s")];
        }
        // Past the ramp: hang-ups and redials under way.
        await Task.Delay(TimeSpan.FromSeconds(10), ct);

        var figures = new List<MeasuredFigure>();
        var (idleCpu, idleLoad) = await CpuOverWindowAsync(ct);
        figures.Add(new("CPU, 0 boards open", idleCpu * 100, "% of a core", $"service + simulator + load generator; load average {idleLoad}"));

        var curls = Enumerable.Range(0, Viewers).Select(_ => Process.Start(new ProcessStartInfo("curl", ["-sN", "-H", $"X-Api-Key: {AdminKey}", "-o", "/dev/null", $"{baseUrl}/api/wallboard/stream"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!).ToList();
        double boardsCpu;
        string boardsLoad;
        try
        {
            await Sampling.UntilAsync(() => app.Services.GetRequiredService<CityContact.Service.Features.Wallboard.LiveFloor>().Board.Viewers >= Viewers, Bound, ct);
            (boardsCpu, boardsLoad) = await CpuOverWindowAsync(ct);
        }
        finally
        {
            foreach (var curl in curls)
            {
                curl.Kill();
                await curl.WaitForExitAsync(CancellationToken.None);
                curl.Dispose();
            }
        }
        figures.Add(new($"CPU, {Viewers} boards open", boardsCpu * 100, "% of a core", $"{Viewers} curl viewers (their CPU not counted); load average {boardsLoad}"));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var viewers = Enumerable.Range(0, Viewers).Select(_ => new BoardViewer(baseUrl)).ToList();
        var reading = viewers.Select(v => v.ReadAsync(stop.Token)).ToList();
        await Sampling.UntilAsync(() => viewers.All(v => v.Boards > 0), Bound, ct);
        var from = Stopwatch.GetTimestamp();
        var (joinsFrom, hangupsFrom) = (events.Joins, events.Hangups);
        await Task.Delay(Window, ct);
        var (joinsTo, hangupsTo) = (events.Joins, events.Hangups);
        // Room for the last events of the window to reach the boards.
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        await stop.CancelAsync();
        await Task.WhenAll(reading);

        var joinLatencies = viewers.SelectMany(v => v.Latencies(events.JoinTimes, joinsFrom, joinsTo, b => b.Offered)).Order().ToArray();
        var hangupLatencies = viewers.SelectMany(v => v.Latencies(events.HangupTimes, hangupsFrom, hangupsTo, b => b.Abandoned)).Order().ToArray();
        var boards = viewers.Sum(v => v.Boards);
        var seconds = Stopwatch.GetElapsedTime(from).TotalSeconds;
        figures.Add(new($"caller joins (StasisStart → offered on the board), {Viewers} boards: p50", Sampling.Percentile(joinLatencies, 0.50), "ms",
            $"{joinLatencies.Length:#,0} event × viewer pairs ({joinsTo - joinsFrom:#,0} joins in {Window.TotalSeconds:0} s)"));
        figures.Add(new($"caller joins (StasisStart → offered on the board), {Viewers} boards: p99", Sampling.Percentile(joinLatencies, 0.99), "ms",
            $"max {joinLatencies.LastOrDefault():#,0.0} ms"));
        figures.Add(new($"waiting caller hangs up (→ abandoned on the board), {Viewers} boards: p50", Sampling.Percentile(hangupLatencies, 0.50), "ms",
            $"{hangupLatencies.Length:#,0} event × viewer pairs ({hangupsTo - hangupsFrom:#,0} hang-ups in {Window.TotalSeconds:0} s)"));
        figures.Add(new($"waiting caller hangs up (→ abandoned on the board), {Viewers} boards: p99", Sampling.Percentile(hangupLatencies, 0.99), "ms",
            $"max {hangupLatencies.LastOrDefault():#,0.0} ms"));
        figures.Add(new("boards received per viewer per second", boards / (double)Viewers / seconds, "boards/s",
            $"coalesced: at most 4 a second however many changes; {load.Counters.Active:#,0} calls up at the end"));
        await app.StopAsync(CancellationToken.None);
        return figures;
    }

    private static async Task<(double Cores, string Load)> CpuOverWindowAsync(CancellationToken ct)
    {
        var process = Process.GetCurrentProcess();
        var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg", ct)).Split(' ')[0] : "unknown";
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(Window, ct);
        process.Refresh();
        return ((process.TotalProcessorTime - cpu).TotalSeconds / Stopwatch.GetElapsedTime(started).TotalSeconds, load);
    }

    private static int WaitingNow(HttpClient http)
    {
        try
        {
            var board = http.GetFromJsonAsync<JsonElement>("/api/wallboard").GetAwaiter().GetResult();
            return board.GetProperty("queues").EnumerateArray().Sum(q => q.GetProperty("waiting").GetInt32());
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static async Task PublishFlowAsync(HttpClient http, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE queues SET max_callers = 10000, max_wait_seconds = 3600 WHERE code = 'taxes'", cancellationToken: ct));
        }
        var flow = new FlowDefinition
        {
            Start = "taxes",
            Fallback = "taxes",
            Nodes = new Dictionary<string, FlowNode> { ["taxes"] = new() { Kind = NodeKinds.Queue, Queue = "taxes", Priority = 0 } },
        };
        using var created = await http.PostAsJsonAsync("/api/ivr/flows",
            new { code = "wallboard-bench", name = "Wallboard benchmark", definition = JsonDocument.Parse(flow.ToJson()).RootElement }, ct);
        created.EnsureSuccessStatusCode();
        var versions = created.Headers.Location!.OriginalString;
        (await http.PostAsync($"{versions}/1/publish", null, ct)).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"/api/ivr/numbers/{Number}", new { flowCode = "wallboard-bench" }, ct)).EnsureSuccessStatusCode();
    }

    /// <summary>When each caller entered Stasis and each hung up, in order (recorded under the simulator's lock: an array write).</summary>
    private sealed class EventTimes
    {
        private readonly long[] _joins = new long[1_000_000];
        private readonly long[] _hangups = new long[1_000_000];
        private int _joinCount;
        private int _hangupCount;

        public int Joins => Volatile.Read(ref _joinCount);

        public int Hangups => Volatile.Read(ref _hangupCount);

        public long[] JoinTimes => _joins;

        public long[] HangupTimes => _hangups;

        public void Observe(StateChange change)
        {
            switch (change)
            {
                case StasisEntered:
                    _joins[Interlocked.Increment(ref _joinCount) - 1] = Stopwatch.GetTimestamp();
                    break;
                case ChannelDestroyed:
                    _hangups[Interlocked.Increment(ref _hangupCount) - 1] = Stopwatch.GetTimestamp();
                    break;
            }
        }
    }

    private sealed record BoardSeen(long At, long Offered, long Abandoned);

    /// <summary>A browser with the board open: reads the stream and notes when each board arrived and what it counted.</summary>
    private sealed class BoardViewer(string baseUrl)
    {
        private readonly ConcurrentQueue<BoardSeen> _seen = new();

        public int Boards => _seen.Count;

        public async Task ReadAsync(CancellationToken ct)
        {
            using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = Timeout.InfiniteTimeSpan };
            client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
            try
            {
                using var response = await client.GetAsync("/api/wallboard/stream", HttpCompletionOption.ResponseHeadersRead, ct);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                while (await reader.ReadLineAsync(ct) is { } line)
                {
                    if (!line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    var at = Stopwatch.GetTimestamp();
                    using var board = JsonDocument.Parse(line.AsMemory("data: ".Length));
                    long offered = 0, abandoned = 0;
                    foreach (var queue in board.RootElement.GetProperty("queues").EnumerateArray())
                    {
                        offered += queue.GetProperty("offered").GetInt64();
                        abandoned += queue.GetProperty("abandoned").GetInt64();
                    }
                    _seen.Enqueue(new BoardSeen(at, offered, abandoned));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
        }

        /// <summary>For each event k in [from, to): the first board counting k+1 such events, minus the event's time (ms).</summary>
        public IEnumerable<double> Latencies(long[] eventTimes, int from, int to, Func<BoardSeen, long> count)
        {
            var boards = _seen.ToArray();
            var b = 0;
            for (var k = from; k < to; k++)
            {
                while (b < boards.Length && count(boards[b]) < k + 1)
                {
                    b++;
                }
                if (b == boards.Length)
                {
                    yield break;
                }
                yield return Stopwatch.GetElapsedTime(eventTimes[k], boards[b].At).TotalMilliseconds;
            }
        }
    }
}
