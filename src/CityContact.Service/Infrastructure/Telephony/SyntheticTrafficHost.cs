using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Schedules;
using CityContact.Simulator.Traffic;

namespace CityContact.Service.Infrastructure.Telephony;

/// <summary>
/// Development traffic for the in-process simulator (Simulator:SyntheticTraffic): the simulator's synthetic citizens
/// dial the city's number and answer the menus, and synthetic agents register their phones, so /api/calls fills with
/// real calls through the live flow.
/// </summary>
public sealed class SyntheticTrafficHost(
    AsteriskConnection asterisk, SimulatorAgents agents, IOptions<SimulatorSettings> settings, IOptions<QueueOptions> queueOptions,
    ScheduleStore schedules, FlowCatalog catalog, ILogger<SyntheticTrafficHost> logger)
    : IHostedService, IAsyncDisposable
{
    private SyntheticTraffic? _traffic;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = settings.Value;
        // TelephonyHost starts first (registration order), so the simulator exists by now when there is one.
        if (asterisk.Simulator is { } simulator && options.SyntheticTraffic)
        {
            if (options.DemoOpenAllHours)
            {
                await OpenAllHoursAsync(cancellationToken);
            }
            await agents.EnsureLoggedInAsync(simulator.Options.PhoneEndpoints, cancellationToken);
            var wrapUp = queueOptions.Value.WrapUpSeconds;
            _traffic = SyntheticTraffic.Start(simulator, new SyntheticTrafficOptions
            {
                RatePerHour = options.CallsPerHour,
                CalledNumbers = [options.CityNumber],
                // Language, then the main menu, then (for some branches) one more choice.
                MenuDepth = 3,
                AgentEndpoints = simulator.Options.PhoneEndpoints,
                MeanHandleTime = TimeSpan.FromSeconds(45),
                // People at a desk: the after-call work fits in the service's wrap-up (the agent ends it when done),
                // and breaks come through the desk's actions; a demo's day is short, so are its breaks.
                AgentDesk = agents,
                WrapUp = new DurationRange(TimeSpan.FromSeconds(Math.Min(2, wrapUp / 2)), TimeSpan.FromSeconds(wrapUp * 0.8)),
                MeanWorkBetweenBreaks = TimeSpan.FromMinutes(5),
                AgentBreaks =
                [
                    new("break", 6, DurationRange.Seconds(45, 120)),
                    new("back-office", 2.5, DurationRange.Seconds(60, 150)),
                    new("training", 1, DurationRange.Seconds(120, 240)),
                    new("lunch", 0.5, DurationRange.Seconds(180, 300)),
                ],
            }, logger);
        }
    }

    /// <summary>
    /// A demo is looked at whenever someone starts it: the city-hall schedule, while it still has the hours the first
    /// start gave it (Monday–Friday 08:00–16:00, no holidays), opens around the clock, so that synthetic citizens reach
    /// the queues at any hour rather than the after-hours message. A schedule someone changed is left as it is.
    /// </summary>
    private async Task OpenAllHoursAsync(CancellationToken ct)
    {
        if (await schedules.FindIdAsync(DefaultFlow.ScheduleCode, ct) is not { } id || await schedules.GetAsync(id, ct) is not { } schedule)
        {
            return;
        }
        var seeded = schedule.Holidays.Count == 0 && schedule.Hours.Count == 5
            && schedule.Hours.All(h => h.DayOfWeek is >= 1 and <= 5 && h.Opens == new TimeOnly(8, 0) && h.Closes == new TimeOnly(16, 0));
        if (!seeded)
        {
            return;
        }
        var always = Enumerable.Range(1, 7).Select(d => new OpeningHours(d, TimeOnly.MinValue, new TimeOnly(23, 59, 59))).ToList();
        await schedules.UpdateAsync(id, new NewSchedule(schedule.Code, schedule.Name, schedule.TimeZone, always, []), ct);
        await catalog.RefreshAsync(ct);
        logger.LogInformation("Demo (Simulator:DemoOpenAllHours): the {Schedule} schedule is open around the clock", schedule.Code);
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
