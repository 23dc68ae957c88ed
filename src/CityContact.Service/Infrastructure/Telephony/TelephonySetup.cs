using CityContact.Service.Infrastructure.Configuration;

namespace CityContact.Service.Infrastructure.Telephony;

public static class TelephonySetup
{
    /// <summary>The ARI/AMI clients (or the in-process simulator) as hosted services, their health checks and gauges.</summary>
    public static void AddTelephony(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorSettings>().BindConfiguration(SimulatorSettings.Section);
        // Four log lines per ARI request (every answer, play, stop) would drown the log and cost the call path; the ARI
        // client logs its own failures.
        builder.Services.AddHttpClient(nameof(CityContact.Telephony.Ari.AriClient))
            .ConfigurePrimaryHttpMessageHandler(services => AriHandler(services.GetRequiredService<IOptions<AriOptions>>().Value))
            // One handler for the service's life: the factory's default two-minute handler rotation would leave the old
            // handler's connections open beside the new one's, past the cap. PooledConnectionLifetime renews connections instead.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        builder.Services.AddSingleton<AsteriskConnection>();
        builder.Services.AddHostedService<TelephonyHost>();
        builder.Services.AddHostedService<SyntheticTrafficHost>();
        builder.Services.AddHealthChecks()
            .AddCheck<AriHealthCheck>("ari", tags: [HealthSetup.ReadyTag])
            .AddCheck<AmiHealthCheck>("ami", tags: [HealthSetup.ReadyTag]);
    }

    /// <summary>
    /// Connections to Asterisk's HTTP server, capped at <see cref="AriOptions.MaxConnections"/> and kept alive between requests.
    /// Idle connections are closed after 20 s, before Asterisk's own session_inactivity (30 s by default) closes them under a
    /// request in flight.
    /// </summary>
    internal static SocketsHttpHandler AriHandler(AriOptions options) => new()
    {
        MaxConnectionsPerServer = options.MaxConnections,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        UseCookies = false,
    };
}
