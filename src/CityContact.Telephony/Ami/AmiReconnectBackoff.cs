namespace CityContact.Telephony.Ami;

/// <summary>Capped exponential back-off with full jitter, so many services restarting together do not hammer Asterisk in step.</summary>
public sealed class AmiReconnectBackoff(TimeSpan initialDelay, TimeSpan maxDelay, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;

    /// <summary>The delay before attempt number <paramref name="failedAttempts"/> + 1: between half and all of min(max, initial·2^n).</summary>
    public TimeSpan DelayAfter(int failedAttempts)
    {
        var exponent = Math.Min(Math.Max(failedAttempts, 0), 30);
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, initialDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (_random.NextDouble() * 0.5)));
    }
}
