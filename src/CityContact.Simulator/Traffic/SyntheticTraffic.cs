using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityContact.Simulator.Traffic;

/// <summary>
/// Citizens calling the simulated trunk as a Poisson process shaped by a time-of-day profile, and synthetic agents
/// answering their phones, all on the simulator's clock. Reproducible with <see cref="SyntheticTrafficOptions.Seed"/>:
/// every caller's and agent's draws come from one seeded sequence (the interleaving of calls still follows the
/// application's own timing).
/// </summary>
public sealed class SyntheticTraffic : IAsyncDisposable
{
    private readonly AsteriskSimulator _sim;
    private readonly SyntheticTrafficOptions _options;
    private readonly ILogger _logger;
    private readonly TrafficTally _tally = new();
    private readonly BridgeMemberships _memberships;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _callers = new();
    private readonly Task _arrivals;
    private readonly Task[] _agents;

    private SyntheticTraffic(AsteriskSimulator sim, SyntheticTrafficOptions options, ILogger logger)
    {
        _sim = sim;
        _options = options;
        _logger = logger;
        Seed = options.Seed ?? Random.Shared.Next();
        _memberships = new BridgeMemberships(sim);

        // Agents' seeds are drawn first, so adding callers' draws never changes how the agents behave.
        var random = new Random(Seed);
        var agentSeeds = options.AgentEndpoints.Select(_ => random.Next()).ToArray();
        _agents = options.AgentEndpoints
            .Select((endpoint, i) => Task.Run(() => new SyntheticAgent(sim, options, endpoint, agentSeeds[i], _tally).RunAsync(_stopping.Token)))
            .ToArray();
        _arrivals = Task.Run(() => RunArrivalsAsync(random, _stopping.Token));
    }

    /// <summary>The seed in use (the configured one, or the one drawn when none was set).</summary>
    public int Seed { get; }

    /// <summary>What the traffic has done so far.</summary>
    public TrafficCounters Counters => _tally.Snapshot();

    /// <summary>Waits until the counters satisfy <paramref name="condition"/> (re-evaluated at every change, never polled).</summary>
    public Task WaitForCountersAsync(Func<TrafficCounters, bool> condition, CancellationToken ct = default)
        => _tally.WaitUntilAsync(condition, ct);

    /// <summary>Starts the agents (registering their phones) and the arrivals; callers dial from the first drawn arrival on.</summary>
    public static SyntheticTraffic Start(AsteriskSimulator sim, SyntheticTrafficOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(sim);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var unknown = options.AgentEndpoints.Except(sim.Options.PhoneEndpoints, StringComparer.Ordinal).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"Synthetic traffic: agent endpoints {string.Join(", ", unknown)} are not phone endpoints of the simulator.", nameof(options));
        }
        return new SyntheticTraffic(sim, options, logger ?? NullLogger.Instance);
    }

    private async Task RunArrivalsAsync(Random random, CancellationToken stopping)
    {
        var time = _sim.Options.Time;
        var schedule = new ArrivalSchedule(_options.RatePerHour, _options.HourlyProfile, _options.TimeZone ?? time.LocalTimeZone, random);
        var menuChoices = _options.MenuChoices.OrderBy(c => c.Key, StringComparer.Ordinal).ToArray();
        _logger.LogInformation("Synthetic traffic: {Rate} calls/hour, {Agents} agents, seed {Seed}", _options.RatePerHour, _options.AgentEndpoints.Count, Seed);
        var arrival = time.GetUtcNow();
        long number = 0;
        try
        {
            while (schedule.Next(arrival) is { } next)
            {
                arrival = next;
                var wait = arrival - time.GetUtcNow();
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stopping);
                var profile = CallerProfile.Draw(random, _options, menuChoices);
                var id = ++number;
                _callers[id] = RunCallerAsync(id, profile, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped: no more arrivals.
        }
    }

    /// <summary>Runs one caller; it dials before its first await, so callers dial in arrival order.</summary>
    private async Task RunCallerAsync(long id, CallerProfile profile, CancellationToken stopping)
    {
        try
        {
            await new SyntheticCaller(_sim, _options, profile, _memberships, _tally).RunAsync(stopping);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning(e, "Synthetic caller {Id} failed", id);
        }
        finally
        {
            _callers.TryRemove(id, out _);
        }
    }

    /// <summary>Stops the arrivals, hangs up every synthetic call and unregisters the agents' phones.</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _arrivals;
        await Task.WhenAll(_callers.Values.Concat(_agents));
        _memberships.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stopping.Dispose();
    }
}
