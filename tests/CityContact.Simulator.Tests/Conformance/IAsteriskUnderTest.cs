namespace CityContact.Simulator.Tests.Conformance;

/// <summary>What a replay drives: an ARI server, its clock, and the SIP side of its calls and phones.</summary>
public interface IAsteriskUnderTest : IAsyncDisposable
{
    /// <summary>Base URL of ARI, e.g. http://127.0.0.1:41234/.</summary>
    Uri AriBaseUrl { get; }

    /// <summary>Lets the server's clock reach <paramref name="sinceStart"/> after the scenario began (running its due timers).</summary>
    Task AdvanceClockToAsync(TimeSpan sinceStart, CancellationToken ct);

    Task PerformAsync(StimulusAction action, CancellationToken ct);
}
