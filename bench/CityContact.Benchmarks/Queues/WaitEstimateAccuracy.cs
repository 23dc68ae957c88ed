using CityContact.Service.Features.Queues;

namespace CityContact.Benchmarks.Queues;

/// <summary>
/// A simulated day per scenario (Poisson arrivals, exponential handle times, FIFO, no abandons): at each arrival the
/// estimate we would announce (<see cref="QueueDispatcher.EstimateWaitSeconds"/> with a 50-call rolling handle time) and
/// app_queue's smoothed hold time ((3·old + latest)/4 over answered callers' waits, not scaled by position) are compared
/// with the wait the caller then had. Reports the mean absolute error of each, in seconds.
/// </summary>
public sealed class WaitEstimateAccuracy : IScenarioMeasurement
{
    public string Title => "Queue wait estimate: mean absolute error against the actual wait (simulated 8-hour days)";

    public Task<IReadOnlyList<MeasuredFigure>> RunAsync(CancellationToken cancellationToken)
    {
        var figures = new List<MeasuredFigure>();
        foreach (var (agents, handle, load) in new[] { (5, 180.0, 0.85), (10, 240.0, 0.95), (20, 300.0, 0.90) })
        {
            var (ours, appQueue, calls, meanWait) = Simulate(agents, handle, load, seed: 7);
            var label = $"{agents} agents, AHT {handle:0} s, load {load:0.00}";
            figures.Add(new MeasuredFigure($"{label}: ours", ours, "s", $"{calls} calls, mean actual wait {meanWait:0} s"));
            figures.Add(new MeasuredFigure($"{label}: app_queue", appQueue, "s"));
        }
        return Task.FromResult<IReadOnlyList<MeasuredFigure>>(figures);
    }

    private static (double Ours, double AppQueue, int Calls, double MeanWait) Simulate(int agents, double handle, double load, int seed)
    {
        var random = new Random(seed);
        double Exponential(double mean) => -mean * Math.Log(1 - random.NextDouble());
        var arrivalMean = handle / (agents * load);
        var freeAt = new double[agents];
        var recentHandles = new Queue<double>();
        var starts = new List<double>();
        // What the service learns, when it learns it: an answer (app_queue's hold-time update) at the call's start, a
        // handle time (ours) at its end. Applied in time order before each arrival, so no estimate sees the future.
        var learned = new PriorityQueue<(bool Answer, double Value), double>();
        double smoothed = 0, ourError = 0, appError = 0, waits = 0;
        var calls = 0;
        for (var now = Exponential(arrivalMean); now < 8 * 3600; now += Exponential(arrivalMean))
        {
            while (learned.TryPeek(out _, out var at) && at <= now)
            {
                var (answer, value) = learned.Dequeue();
                if (answer)
                {
                    smoothed = (3 * smoothed + value) / 4;
                }
                else
                {
                    recentHandles.Enqueue(value);
                    if (recentHandles.Count > 50)
                    {
                        recentHandles.Dequeue();
                    }
                }
            }
            // FIFO: callers who arrived earlier and have not started yet are ahead of this one.
            var ahead = starts.Count(s => s > now);
            var free = freeAt.Count(t => t <= now);
            var aht = recentHandles.Count > 0 ? recentHandles.Average() : handle;
            var ours = QueueDispatcher.EstimateWaitSeconds(ahead + 1, ahead == 0 ? free : 0, agents, aht);
            var agent = Array.IndexOf(freeAt, freeAt.Min());
            var start = Math.Max(now, freeAt[agent]);
            var talk = Exponential(handle);
            freeAt[agent] = start + talk;
            starts.Add(start);
            var wait = start - now;
            learned.Enqueue((true, wait), start);
            learned.Enqueue((false, talk), start + talk);
            ourError += Math.Abs(ours - wait);
            appError += Math.Abs(smoothed - wait);
            waits += wait;
            calls++;
        }
        return (ourError / calls, appError / calls, calls, waits / calls);
    }
}
