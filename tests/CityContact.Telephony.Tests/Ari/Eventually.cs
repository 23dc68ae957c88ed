namespace CityContact.Telephony.Tests.Ari;

internal static class Eventually
{
    /// <summary>
    /// Waits until a condition over state that raises no event of its own (a server's counters, a
    /// client's state) holds, re-checking every few milliseconds; fails after <paramref name="patience"/>.
    /// </summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        while (!condition())
        {
            try
            {
                await Task.Delay(5, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"condition still false after {patience}");
            }
        }
    }
}
