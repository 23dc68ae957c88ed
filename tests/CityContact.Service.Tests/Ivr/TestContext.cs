namespace CityContact.Service.Tests.Ivr;

internal static class TestContext
{
    /// <summary>A token that fires after <paramref name="seconds"/>: every wait of a test ends, failing rather than hanging.</summary>
    public static CancellationToken Timeout(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
