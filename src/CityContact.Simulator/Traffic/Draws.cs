namespace CityContact.Simulator.Traffic;

/// <summary>The random draws synthetic traffic is made of; every draw comes from a seeded <see cref="Random"/>.</summary>
internal static class Draws
{
    /// <summary>An exponentially distributed duration with the given mean (memoryless waits: patience, handle times).</summary>
    public static TimeSpan Exponential(this Random random, TimeSpan mean)
        => mean <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)(-Math.Log(1 - random.NextDouble()) * mean.Ticks));

    /// <summary>A duration drawn uniformly in [<paramref name="range"/>.Min, <paramref name="range"/>.Max].</summary>
    public static TimeSpan Between(this Random random, DurationRange range)
        => range.Min + TimeSpan.FromTicks((long)(random.NextDouble() * (range.Max - range.Min).Ticks));

    public static bool Chance(this Random random, double probability) => random.NextDouble() < probability;

    /// <summary>One key of <paramref name="weights"/>, with probability proportional to its weight.</summary>
    public static string Pick(this Random random, IReadOnlyList<KeyValuePair<string, double>> weights)
    {
        var total = weights.Sum(w => w.Value);
        var point = random.NextDouble() * total;
        foreach (var (key, weight) in weights)
        {
            point -= weight;
            if (point < 0)
            {
                return key;
            }
        }
        return weights[^1].Key;
    }
}

/// <summary>A closed range of durations to draw from uniformly.</summary>
public readonly record struct DurationRange(TimeSpan Min, TimeSpan Max)
{
    public static DurationRange Seconds(double min, double max) => new(TimeSpan.FromSeconds(min), TimeSpan.FromSeconds(max));

    public override string ToString() => $"{Min.TotalSeconds}-{Max.TotalSeconds}s";
}
