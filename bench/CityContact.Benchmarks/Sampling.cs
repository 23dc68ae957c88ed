using System.Diagnostics;

namespace CityContact.Benchmarks;

/// <summary>What the scenarios measure the same way: percentiles of latencies, and waiting for a count to be reached.</summary>
internal static class Sampling
{
    /// <summary>Nearest-rank percentile of values sorted ascending; NaN when there are none.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Polls (a benchmark may: the counts change on other threads without a signal); false after <paramref name="bound"/>.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan bound, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > bound)
            {
                return false;
            }
            await Task.Delay(5, ct);
        }
        return true;
    }
}
