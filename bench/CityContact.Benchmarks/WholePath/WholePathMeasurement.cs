using System.Diagnostics;
using System.Net.Http.Json;
using CityContact.Service;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Queues;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Benchmarks.WholePath;

/// <summary>
/// The whole path of issue 7, IVR → queue → agent → hang-up, with the service, its simulator and PostgreSQL in one
/// process. N citizens dial at once, hear a welcome and a one-digit menu, press 1 and wait in the taxes queue while no
/// agent is logged in (that is when memory per active call is measured); then N/10 agents log in, their phones answer
/// after <see cref="AnswerDelay"/>, each citizen talks for <see cref="Talk"/> and hangs up, and the agent wraps up for
/// <see cref="WrapUpSeconds"/> before the next call. One agent per ten callers is a busy hour in a city hall's
/// contact center; it also makes every agent take ten calls in turn, so the dispatcher's offer, wrap-up and re-offer
/// paths run as often as the IVR's. Every call must end, answered by an agent, stored once, with no deskphone ever
/// carrying two calls; otherwise the level reports FAILED instead of figures.
/// </summary>
public sealed class WholePathMeasurement : IScenarioMeasurement
{
    private static readonly int[] Levels = [100, 1_000, 5_000];
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan AnswerDelay = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Talk = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Prompt = TimeSpan.FromMilliseconds(50);
    private const double WrapUpSeconds = 0.2;
    private const int WarmUpCalls = 20;
    private const string Number = "0256970";
    private const string AdminKey = "cc_bench_whole_path_admin_key_0123456789";

    public string Title => "Whole path: IVR → queue → agent → hang-up, service + simulator + PostgreSQL in one process";

    public string Description =>
        "N citizens dial at once, hear a welcome and a one-digit menu, press 1 and wait in the taxes queue with no agent logged in "
        + "(memory per active call is measured then: GC heap after a full collection, minus before they dialled, over N; service, "
        + $"simulator and its request log together). Then N/10 agents log in; their phones answer after {AnswerDelay.TotalMilliseconds:0} ms, "
        + $"the citizen talks {Talk.TotalMilliseconds:0} ms and hangs up, the agent wraps up {WrapUpSeconds * 1000:0} ms. A level counts only if every call ended, reached an agent, is stored once as "
        + "answered, and no deskphone ever had two calls. A reaction's latency runs from the simulator queuing an ARI event to its "
        + "WebSocket to a REST request arriving; the cause is the latest event, before the request, about a channel the request names "
        + "(path, parameters, or a bridge it names) or that channel's partner (caller ↔ agent leg). Originates to agents are the "
        + "dispatcher's decision, not a reaction, and are left out. Rows \"event → request\" are the kinds with at least N/2 requests. "
        + "The service, the simulator that drives the calls and PostgreSQL share the machine's cores with whatever else runs on it: "
        + "the load average says how busy it was.";

    public async Task<IReadOnlyList<MeasuredFigure>> RunAsync(CancellationToken cancellationToken)
    {
        await using var server = await PostgresForBench.StartAsync(cancellationToken);
        var figures = new List<MeasuredFigure>();
        var growths = new List<(int Calls, long Bytes)>();
        foreach (var level in Levels)
        {
            Console.WriteLine($"whole path: {level} calls");
            var (measured, heapGrowth) = await MeasureAsync(server.ConnectionString, level, cancellationToken);
            figures.AddRange(measured);
            if (heapGrowth is { } bytes)
            {
                growths.Add((level, bytes));
            }
        }
        if (growths.Count >= 2)
        {
            var (smaller, larger) = (growths[^2], growths[^1]);
            // What does not grow with the calls (pools and buffers the burst enlarged, once) weighs on a small level's
            // average; the difference between two levels leaves the cost of one more waiting call.
            figures.Add(new($"managed memory per additional active call, {smaller.Calls:#,0} → {larger.Calls:#,0} waiting",
                (larger.Bytes - smaller.Bytes) / (double)(larger.Calls - smaller.Calls), "bytes",
                $"heap growth {larger.Bytes / 1048576.0:#,0.0} MiB at {larger.Calls:#,0} minus {smaller.Bytes / 1048576.0:#,0.0} MiB at {smaller.Calls:#,0}, over the {larger.Calls - smaller.Calls:#,0} calls between"));
        }
        return figures;
    }

    /// <returns>The level's figures, and how much the heap grew with every caller waiting (null when the level failed).</returns>
    private static async Task<(IReadOnlyList<MeasuredFigure> Figures, long? HeapGrowth)> MeasureAsync(string serverConnectionString, int calls, CancellationToken ct)
    {
        var database = $"cc_bench_{Guid.NewGuid():N}"[..24];
        await using (var admin = NpgsqlDataSource.Create(serverConnectionString))
        {
            await admin.CreateCommand($"CREATE DATABASE {database}").ExecuteNonQueryAsync(ct);
        }
        try
        {
            return await MeasureOnAsync(new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database, MaxPoolSize = 50 }.ConnectionString, calls, ct);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = NpgsqlDataSource.Create(serverConnectionString);
            await admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)").ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task<(IReadOnlyList<MeasuredFigure> Figures, long? HeapGrowth)> MeasureOnAsync(string connectionString, int calls, CancellationToken ct)
    {
        var level = Stopwatch.GetTimestamp();
        var agents = calls / 10;
        var phones = Enumerable.Range(1, agents).Select(i => $"agent{i}").ToArray();
        // One clock (monotonic, real speed) for both, so event and request timestamps compare exactly.
        var clock = new ScaledTimeProvider(1);
        await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            AriUser = "cc-bench",
            AriPassword = Guid.NewGuid().ToString("N"),
            Time = clock,
            DefaultMediaLength = Prompt,
            PhoneEndpoints = phones,
            // Every request of the run is kept for the latencies (about 15 per call).
            MaxRecordedRequests = 40 * (calls + WarmUpCalls) + 10_000,
        }, ct);

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
            ["Queues:WrapUpSeconds"] = WrapUpSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Position announcements are a timer's work, not a reaction; none comes during the run.
            ["Queues:AnnounceEverySeconds"] = "3600",
        });
        builder.AddCityContact();
        builder.Services.AddSingleton<TimeProvider>(clock);
        await using var app = builder.Build();
        app.UseCityContact();
        await app.StartAsync(ct);
        var catalog = app.Services.GetRequiredService<FlowCatalog>();
        await Sampling.UntilAsync(() => catalog.Loaded && sim.ConnectedApplications.Contains("citycontact"), Bound, ct);

        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        await PublishFlowAsync(http, app.Services.GetRequiredService<NpgsqlDataSource>(), calls, ct);

        foreach (var phone in phones)
        {
            await sim.Phone(phone).AnswerAfter(AnswerDelay).RegisterAsync(ct);
        }
        await app.Services.GetRequiredService<SimulatorAgents>().EnsureLoggedInAsync(phones, ct);
        var dispatcher = app.Services.GetRequiredService<QueueDispatcher>();
        var agentIds = (await app.Services.GetRequiredService<AgentStore>().ListAsync(null, ct)).Select(a => a.Id).ToArray();

        var latencies = new ReactionLatencies(60 * (calls + WarmUpCalls), 4 * (calls + WarmUpCalls));
        await using var traffic = new CitizensAndAgents(sim, sim.Options.TrunkEndpoint, Talk, calls + WarmUpCalls, latencies.Observe);

        // Warm-up through the whole path: JIT, HTTP and PostgreSQL connections, every handler once.
        var dialled = new List<string>();
        for (var i = 0; i < WarmUpCalls; i++)
        {
            traffic.Dialled(sim.Trunk.Dial($"+40257{i:000000}", Number));
        }
        if (!await Sampling.UntilAsync(() => traffic.Ended == WarmUpCalls, Bound, ct))
        {
            return Failed(calls, $"warm-up: {traffic.Ended} of {WarmUpCalls} calls ended after {Bound.TotalSeconds:0} s");
        }
        var ivrApp = app.Services.GetRequiredService<IvrApp>();
        // The warm-up's last requests (the agent leg's hang-up, the bridge's removal) must not count in the run.
        await Sampling.UntilAsync(() => ivrApp.ActiveCalls == 0 && sim.Channels.Count == 0, Bound, ct);
        foreach (var id in agentIds)
        {
            await dispatcher.ActAsync(id, AgentAction.Logout, null);
        }

        var load = File.Exists("/proc/loadavg") ? (await File.ReadAllTextAsync("/proc/loadavg", ct)).Split(' ')[0] : "unknown";
        var baseline = FullyCollectedHeap();
        var from = clock.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < calls; i++)
        {
            var caller = sim.Trunk.Dial($"+40256{i:000000}", Number);
            traffic.Dialled(caller);
            dialled.Add(caller.ChannelId);
        }
        traffic.AllDialled();
        if (!await Sampling.UntilAsync(() => traffic.Parked == calls, Bound, ct))
        {
            return Failed(calls, $"{traffic.Parked} of {calls} callers in the queue after {Bound.TotalSeconds:0} s");
        }
        var ivr = Stopwatch.GetElapsedTime(started);
        var parked = FullyCollectedHeap();
        var handlers = ivrApp.ActiveCalls;

        var drainStarted = Stopwatch.GetTimestamp();
        foreach (var id in agentIds)
        {
            await dispatcher.ActAsync(id, AgentAction.Login, null);
        }
        var drained = await Sampling.UntilAsync(() => traffic.Ended == WarmUpCalls + calls, Bound, ct);
        var drain = Stopwatch.GetElapsedTime(drainStarted);
        if (!drained)
        {
            return Failed(calls, $"{traffic.Ended - WarmUpCalls} of {calls} calls ended {Bound.TotalSeconds:0} s after the agents logged in ({traffic.Bridged - WarmUpCalls} reached an agent)");
        }

        await Sampling.UntilAsync(() => ivrApp.ActiveCalls == 0, Bound, ct);
        await app.Services.GetRequiredService<CallRecorder>().WaitUntilStoredAsync(ct);
        await app.Services.GetRequiredService<QueueCallLog>().WaitUntilStoredAsync(ct);
        await using var connection = await app.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        var (rows, answered) = await connection.QuerySingleAsync<(long Rows, long Answered)>(new CommandDefinition(
            "SELECT count(*), count(*) FILTER (WHERE outcome = 'answered' AND agent_id IS NOT NULL) FROM calls WHERE channel_id = ANY(@dialled)",
            new { dialled = dialled.ToArray() }, cancellationToken: ct));
        var problems = new List<string>();
        if (rows != calls || answered != calls)
        {
            problems.Add($"{rows} call rows, {answered} answered by an agent, for {calls} calls");
        }
        if (traffic.Bridged != WarmUpCalls + calls)
        {
            problems.Add($"{traffic.Bridged - WarmUpCalls} of {calls} citizens bridged with an agent");
        }
        if (traffic.MostCallsOnOnePhone > 1)
        {
            problems.Add($"a deskphone carried {traffic.MostCallsOnOnePhone} calls at once");
        }
        if (problems.Count > 0)
        {
            return Failed(calls, string.Join("; ", problems));
        }

        var reactions = latencies.Measure(sim.Requests, from);
        await app.StopAsync(CancellationToken.None);

        var label = $"{calls:#,0} calls, {agents:#,0} agents";
        var staffingBound = agents / (AnswerDelay.TotalSeconds + Talk.TotalSeconds + WrapUpSeconds);
        var figures = new List<MeasuredFigure>
        {
            new($"{label}: calls completed per second", calls / (ivr + drain).TotalSeconds, "calls/s",
                $"dial → hung up, every call answered by an agent and stored once; IVR {ivr.TotalSeconds:0.00} s + queue → agent → hang-up {drain.TotalSeconds:0.00} s"),
            new($"{label}: queue → agent → hang-up per second", calls / drain.TotalSeconds, "calls/s",
                $"from the agents' login; staffing allows at most {staffingBound:#,0}/s (answer {AnswerDelay.TotalMilliseconds:0} ms + talk {Talk.TotalMilliseconds:0} ms + wrap-up {WrapUpSeconds * 1000:0} ms)"),
            new($"{label}: ARI event → REST reaction, p50", Sampling.Percentile(reactions.All, 0.50), "ms",
                $"{reactions.All.Length:#,0} requests; {reactions.Originates:#,0} agent originates and {reactions.Unattributed:#,0} requests naming no channel left out"),
            new($"{label}: ARI event → REST reaction, p99", Sampling.Percentile(reactions.All, 0.99), "ms", $"max {reactions.All.LastOrDefault():#,0.0} ms"),
        };
        foreach (var (kind, values) in reactions.ByKind.Where(k => k.Value.Length >= calls / 2).OrderByDescending(k => k.Value.Length).ThenBy(k => k.Key, StringComparer.Ordinal))
        {
            figures.Add(new($"{label}: {kind}, p50 / p99", Sampling.Percentile(values, 0.50), "ms",
                $"p99 {Sampling.Percentile(values, 0.99):#,0.0} ms, {values.Length:#,0} requests"));
        }
        figures.Add(new($"{label}: managed memory per active call", (parked - baseline) / (double)calls, "bytes",
            $"GC heap after a full collection with {calls:#,0} callers waiting in the queue ({handlers:#,0} call handlers live), minus before they dialled; service + simulator (its request log included)"));
        figures.Add(new($"{label}: wall time of the level", Stopwatch.GetElapsedTime(level).TotalSeconds, "s",
            $"start-up, agents, warm-up, the run, storing and checking every call; machine load average {load} when the run began"));
        return (figures, parked - baseline);
    }

    private static async Task PublishFlowAsync(HttpClient http, NpgsqlDataSource dataSource, int calls, CancellationToken ct)
    {
        // Room for every caller: the default of 50 would send the others to the overflow.
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition("UPDATE queues SET max_callers = @calls WHERE code = 'taxes'", new { calls }, cancellationToken: ct));
        }
        var flow = new FlowDefinition
        {
            Start = "welcome",
            Fallback = "taxes",
            Nodes = new Dictionary<string, FlowNode>
            {
                ["welcome"] = new() { Kind = NodeKinds.Play, Prompts = ["welcome"], Next = "main" },
                ["main"] = new()
                {
                    Kind = NodeKinds.Menu, Prompts = ["main-menu"], Options = new Dictionary<string, string> { ["1"] = "taxes" },
                    NoInputPrompt = "no-input", InvalidPrompt = "invalid-choice", MaxRetries = 2, Exit = "taxes",
                },
                ["taxes"] = new() { Kind = NodeKinds.Queue, Queue = "taxes", Priority = 0 },
            },
        };
        using var created = await http.PostAsJsonAsync("/api/ivr/flows",
            new { code = "whole-path", name = "Whole path benchmark", definition = System.Text.Json.JsonDocument.Parse(flow.ToJson()).RootElement }, ct);
        await EnsureAsync(created, ct);
        var versions = created.Headers.Location!.OriginalString;
        using var published = await http.PostAsync($"{versions}/1/publish", null, ct);
        await EnsureAsync(published, ct);
        using var number = await http.PutAsJsonAsync($"/api/ivr/numbers/{Number}", new { flowCode = "whole-path" }, ct);
        await EnsureAsync(number, ct);
    }

    private static async Task EnsureAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }
    }

    private static (IReadOnlyList<MeasuredFigure>, long?) Failed(int calls, string reason) =>
        ([new($"{calls:#,0} calls: FAILED", double.NaN, "", reason)], null);

    private static long FullyCollectedHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
