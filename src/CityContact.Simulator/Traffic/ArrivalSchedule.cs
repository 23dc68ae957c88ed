namespace CityContact.Simulator.Traffic;

/// <summary>
/// Arrival times of a non-homogeneous Poisson process: <c>RatePerHour × HourlyProfile[local hour]</c> calls per hour,
/// drawn by thinning (candidates at the peak rate, each kept with probability rate(t) / peak rate), so the rate changes
/// exactly at the hour boundaries of <see cref="TimeZone"/>.
/// </summary>
public sealed class ArrivalSchedule
{
    private readonly Random _random;
    private readonly double _peakPerHour;

    public ArrivalSchedule(double ratePerHour, IReadOnlyList<double> hourlyProfile, TimeZoneInfo timeZone, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ratePerHour);
        if (hourlyProfile.Count != 24 || hourlyProfile.Any(f => f < 0 || !double.IsFinite(f)))
        {
            throw new ArgumentException("The time-of-day profile needs 24 non-negative factors, one per local hour.", nameof(hourlyProfile));
        }
        RatePerHour = ratePerHour;
        HourlyProfile = hourlyProfile;
        TimeZone = timeZone;
        _random = random;
        _peakPerHour = ratePerHour * hourlyProfile.Max();
    }

    public double RatePerHour { get; }

    public IReadOnlyList<double> HourlyProfile { get; }

    public TimeZoneInfo TimeZone { get; }

    /// <summary>Calls per hour at <paramref name="at"/>.</summary>
    public double RateAt(DateTimeOffset at) => RatePerHour * HourlyProfile[TimeZoneInfo.ConvertTime(at, TimeZone).Hour];

    /// <summary>The next arrival after <paramref name="after"/>, or null when the profile never lets a call in.</summary>
    public DateTimeOffset? Next(DateTimeOffset after)
    {
        if (_peakPerHour <= 0)
        {
            return null;
        }
        var candidate = after;
        while (true)
        {
            candidate += _random.Exponential(TimeSpan.FromHours(1 / _peakPerHour));
            if (_random.NextDouble() * _peakPerHour < RateAt(candidate))
            {
                return candidate;
            }
        }
    }
}
