namespace CityContact.Service.Infrastructure.Telephony;

public static class TelephonySetup
{
    /// <summary>The ARI/AMI clients (or the in-process simulator) as hosted services, their health checks and gauges.</summary>
    public static void AddTelephony(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorSettings>().BindConfiguration(SimulatorSettings.Section);
        // Four log lines per ARI request (every answer, play, stop) would drown the log and cost the call path; the ARI
        // client logs its own failures.
        builder.Services.AddHttpClient(nameof(CityContact.Telephony.Ari.AriClient)).RemoveAllLoggers();
        builder.Services.AddSingleton<AsteriskConnection>();
        builder.Services.AddHostedService<TelephonyHost>();
        builder.Services.AddHostedService<SyntheticTrafficHost>();
        builder.Services.AddHealthChecks()
            .AddCheck<AriHealthCheck>("ari", tags: [HealthSetup.ReadyTag])
            .AddCheck<AmiHealthCheck>("ami", tags: [HealthSetup.ReadyTag]);
    }
}
