namespace CityContact.Service.Infrastructure.Telephony;

/// <summary>
/// Development traffic for the in-process simulator (Simulator:SyntheticCallers): every few seconds a caller dials
/// the city's number, waits for the menus and presses random digits or hangs up, so /api/calls fills with real calls.
/// </summary>
public sealed partial class SyntheticCallers(AsteriskConnection asterisk, IOptions<SimulatorSettings> settings, TimeProvider time, ILogger<SyntheticCallers> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (asterisk.Simulator is null || !settings.Value.SyntheticCallers)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(settings.Value.CallerIntervalMs), time);
        var number = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var caller = $"+4072{Random.Shared.Next(1_000_000, 9_999_999)}";
            _ = Task.Run(() => CallAsync(caller, ++number, stoppingToken), CancellationToken.None);
        }
    }

    private async Task CallAsync(string from, int number, CancellationToken ct)
    {
        var simulator = asterisk.Simulator!;
        try
        {
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
            patience.CancelAfter(TimeSpan.FromMinutes(2));
            var caller = simulator.Trunk.Dial(from, settings.Value.CityNumber);
            await caller.WaitForAnswerAsync(patience.Token);
            // Second playback: the language question; third: the main menu (when open).
            await caller.WaitForPlaybackAsync(2, patience.Token);
            await caller.PressAsync(Random.Shared.Next(1, 3).ToString(System.Globalization.CultureInfo.InvariantCulture), patience.Token);
            await caller.WaitForPlaybackAsync(3, patience.Token);
            switch (number % 6)
            {
                case 0:
                    await caller.HangUpAsync(patience.Token);
                    return;
                default:
                    await caller.PressAsync("012349"[Random.Shared.Next(6)].ToString(), patience.Token);
                    break;
            }
            await caller.WaitForHangupAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            LogCallerGaveUp(from);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Synthetic caller {Caller} gave up waiting")]
    private partial void LogCallerGaveUp(string caller);
}

public static class TelephonySetup
{
    /// <summary>The ARI/AMI clients (or the in-process simulator) as hosted services, their health checks and gauges.</summary>
    public static void AddTelephony(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorSettings>().BindConfiguration(SimulatorSettings.Section);
        builder.Services.AddHttpClient(nameof(CityContact.Telephony.Ari.AriClient));
        builder.Services.AddSingleton<AsteriskConnection>();
        builder.Services.AddHostedService<TelephonyHost>();
        builder.Services.AddHostedService<SyntheticCallers>();
        builder.Services.AddHealthChecks()
            .AddCheck<AriHealthCheck>("ari", tags: [HealthSetup.ReadyTag])
            .AddCheck<AmiHealthCheck>("ami", tags: [HealthSetup.ReadyTag]);
    }
}
