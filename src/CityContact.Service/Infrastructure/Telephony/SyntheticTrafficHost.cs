using CityContact.Service.Features.Agents;
using CityContact.Simulator.Traffic;

namespace CityContact.Service.Infrastructure.Telephony;

/// <summary>
/// Development traffic for the in-process simulator (Simulator:SyntheticTraffic): the simulator's synthetic citizens
/// dial the city's number and answer the menus, and synthetic agents register their phones, so /api/calls fills with
/// real calls through the live flow.
/// </summary>
public sealed class SyntheticTrafficHost(
    AsteriskConnection asterisk, SimulatorAgents agents, IOptions<SimulatorSettings> settings, ILogger<SyntheticTrafficHost> logger)
    : IHostedService, IAsyncDisposable
{
    private SyntheticTraffic? _traffic;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = settings.Value;
        // TelephonyHost starts first (registration order), so the simulator exists by now when there is one.
        if (asterisk.Simulator is { } simulator && options.SyntheticTraffic)
        {
            await agents.EnsureLoggedInAsync(simulator.Options.PhoneEndpoints, cancellationToken);
            _traffic = SyntheticTraffic.Start(simulator, new SyntheticTrafficOptions
            {
                RatePerHour = options.CallsPerHour,
                CalledNumbers = [options.CityNumber],
                // Language, then the main menu, then (for some branches) one more choice.
                MenuDepth = 3,
                AgentEndpoints = simulator.Options.PhoneEndpoints,
                MeanHandleTime = TimeSpan.FromSeconds(45),
            }, logger);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _traffic, null) is { } traffic)
        {
            await traffic.DisposeAsync();
        }
    }
}
