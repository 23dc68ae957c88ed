namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>One real Asterisk for every test of the assembly (booting takes seconds); each test brings its own service and database.</summary>
public sealed class AsteriskFixture : IAsyncLifetime
{
    private AsteriskInstance? _asterisk;

    public AsteriskInstance Asterisk => _asterisk ?? throw new InvalidOperationException(
        $"no Asterisk: {AsteriskInstallation.MissingReason}");

    public async Task InitializeAsync()
    {
        // Skipped facts never touch Asterisk; a required but missing one fails with the reason at its first use.
        if (AsteriskInstallation.MissingReason is not null)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _asterisk = await AsteriskInstance.StartAsync(AsteriskInstallation.Get(), timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_asterisk is not null)
        {
            await _asterisk.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RealAsteriskCollection : ICollectionFixture<AsteriskFixture>
{
    public const string Name = "real Asterisk";
}

internal static class Timeouts
{
    /// <summary>A token that fires after <paramref name="seconds"/>: every wait of a test ends, failing rather than hanging.</summary>
    public static CancellationToken After(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
