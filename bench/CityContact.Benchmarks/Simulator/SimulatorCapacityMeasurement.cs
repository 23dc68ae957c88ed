using System.Diagnostics;
using CityContact.Simulator;
using CityContact.Simulator.Traffic;

namespace CityContact.Benchmarks.Simulator;

/// <summary>
/// How many concurrent calls the simulator sustains on this machine, and its managed memory per call: the load
/// generator ramps to 1,000, 2,000, 5,000, 10,000 then 20,000 calls (stopping at the first level not sustained) through a minimal Stasis app (answer + one long prompt) over real
/// sockets; a level counts as sustained when every call reached StasisStart, was answered and is playing within the
/// bound, and none dropped while held.
/// </summary>
public sealed class SimulatorCapacityMeasurement : IScenarioMeasurement
{
    private static readonly int[] Levels = [1_000, 2_000, 5_000, 10_000, 20_000];
    private static readonly TimeSpan RampBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(2);

    public string Title => "Simulator: concurrent calls and memory per call";

    public async Task<IReadOnlyList<MeasuredFigure>> RunAsync(CancellationToken cancellationToken)
    {
        var figures = new List<MeasuredFigure>();
        await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions { DefaultMediaLength = TimeSpan.FromHours(1) }, cancellationToken);
        await using var app = await AnsweringStasisApp.StartAsync(sim, cancellationToken);
        var baseline = ManagedMemory();
        await using var load = LoadGenerator.Start(sim, new LoadOptions { HoldTime = DurationRange.Seconds(3_600, 3_600), Seed = 1 }, 0);
        var sustained = 0;
        var previous = 0;

        foreach (var level in Levels)
        {
            var started = Stopwatch.GetTimestamp();
            load.ConcurrentCalls = level;
            var reached = await PollAsync(() => app.PlaybacksStarted >= level && load.Counters.Answered >= level, RampBound, cancellationToken);
            var ramp = Stopwatch.GetElapsedTime(started);
            await Task.Delay(Hold, cancellationToken);
            var counters = load.Counters;
            var held = reached && counters.Active == level && counters.EndedByApplication == 0 && counters.ReachedStasis >= level && app.Failures == 0;
            var memory = ManagedMemory();
            var note = held ? null : $"not sustained: {counters}, app failures {app.Failures}";
            figures.Add(new($"{level:#,0} calls: ramp-up (dial → answered and playing)", ramp.TotalSeconds, "s", note));
            figures.Add(new($"{level:#,0} calls: dialing rate", (level - previous) / ramp.TotalSeconds, "calls/s", "INVITE → StasisStart → answer → play, one app connection pool of 32"));
            figures.Add(new($"{level:#,0} calls: INVITE → Up, mean / max", counters.MeanAnswerLatency.TotalMilliseconds, "ms", $"max {counters.MaxAnswerLatency.TotalMilliseconds:0} ms"));
            figures.Add(new($"{level:#,0} calls: managed memory per call", (memory - baseline) / (double)level, "bytes", "GC.GetTotalMemory after a full collection, minus the idle simulator; includes the ARI request log"));
            if (!held)
            {
                break;
            }
            sustained = previous = level;
        }

        var info = GC.GetGCMemoryInfo();
        figures.Add(new("Concurrent calls sustained", sustained, "calls", $"on {Environment.ProcessorCount} cores; the app runs in the same process"));
        figures.Add(new("Process working set at the end", Environment.WorkingSet / 1_048_576.0, "MiB", $"GC heap {info.HeapSizeBytes / 1_048_576.0:0} MiB"));
        var teardown = Stopwatch.GetTimestamp();
        await load.StopAsync();
        await sim.WaitUntilAsync(s => s.Channels.Count == 0, cancellationToken).WaitAsync(RampBound, cancellationToken);
        figures.Add(new("Hang-up of every call", Stopwatch.GetElapsedTime(teardown).TotalSeconds, "s"));
        return figures;
    }

    private static long ManagedMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Polls a counter condition (a benchmark may poll; the counters change on other threads without a signal).</summary>
    private static async Task<bool> PollAsync(Func<bool> condition, TimeSpan bound, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > bound)
            {
                return false;
            }
            await Task.Delay(20, ct);
        }
        return true;
    }
}
