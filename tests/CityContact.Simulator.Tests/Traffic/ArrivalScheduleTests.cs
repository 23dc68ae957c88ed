using CityContact.Simulator.Traffic;
using Xunit;

namespace CityContact.Simulator.Tests.Traffic;

public sealed class ArrivalScheduleTests
{
    private static readonly DateTimeOffset Midnight = new(2025, 3, 3, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Arrivals_per_hour_follow_the_rate_times_the_time_of_day_profile()
    {
        double[] profile = [0, 0, 0, 0, 0, 0, 0.5, 1, 2, 2, 2, 2, 1.5, 1, 2, 2, 1.5, 1, 0.5, 0.2, 0.1, 0, 0, 0];
        var schedule = new ArrivalSchedule(100, profile, TimeZoneInfo.Utc, new Random(42));
        var perHour = new int[24];
        const int Days = 30;

        for (var at = schedule.Next(Midnight); at < Midnight.AddDays(Days); at = schedule.Next(at.Value))
        {
            perHour[at!.Value.Hour]++;
        }

        for (var hour = 0; hour < 24; hour++)
        {
            // Poisson: the count's standard deviation is its mean's square root; 4 of them is a bound a seeded run keeps.
            var mean = 100 * profile[hour] * Days;
            Assert.InRange(perHour[hour], mean - 4 * Math.Sqrt(mean), mean + 4 * Math.Sqrt(mean));
        }
    }

    [Fact]
    public void Gaps_between_arrivals_are_exponential_at_a_flat_rate()
    {
        var schedule = new ArrivalSchedule(3600, Enumerable.Repeat(1.0, 24).ToArray(), TimeZoneInfo.Utc, new Random(1));
        var gaps = new List<double>();
        var at = Midnight;
        for (var i = 0; i < 10_000; i++)
        {
            var next = schedule.Next(at)!.Value;
            gaps.Add((next - at).TotalSeconds);
            at = next;
        }

        // One call per second on average; an exponential's share of gaps below its mean is 1 - 1/e ≈ 0.632.
        Assert.InRange(gaps.Average(), 0.95, 1.05);
        Assert.InRange(gaps.Count(g => g < 1) / (double)gaps.Count, 0.61, 0.65);
    }

    [Fact]
    public void The_same_seed_gives_the_same_arrivals()
    {
        var profile = Enumerable.Repeat(1.0, 24).ToArray();
        var first = new ArrivalSchedule(500, profile, TimeZoneInfo.Utc, new Random(9));
        var second = new ArrivalSchedule(500, profile, TimeZoneInfo.Utc, new Random(9));

        var a = Midnight;
        var b = Midnight;
        for (var i = 0; i < 100; i++)
        {
            a = first.Next(a)!.Value;
            b = second.Next(b)!.Value;
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void A_profile_of_zeros_never_lets_a_call_in()
    {
        var schedule = new ArrivalSchedule(100, new double[24], TimeZoneInfo.Utc, new Random(1));

        Assert.Null(schedule.Next(Midnight));
    }

    [Fact]
    public void A_profile_without_24_hours_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ArrivalSchedule(100, [1, 1], TimeZoneInfo.Utc, new Random(1)));
    }
}
