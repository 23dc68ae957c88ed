using System.Diagnostics;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace CityContact.Service.Infrastructure.Logging;

public static class LoggingSetup
{
    /// <summary>Serilog to the console: readable text, or compact JSON (one event per line) when Logging:Json is true.</summary>
    public static void AddLogging(this WebApplicationBuilder builder)
    {
        var json = builder.Configuration.GetValue<bool>("Logging:Json");
        builder.Services.AddSerilog(
            (services, logger) =>
            {
                logger
                    .MinimumLevel.Information()
                    .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                    .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Warning)
                    // Npgsql logs every command at Information; parameters are never logged, statements are noise.
                    .MinimumLevel.Override("Npgsql", LogEventLevel.Warning)
                    // A failed start is reported once by Program (one line for a bad setting), not with the host's stack trace.
                    .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", LogEventLevel.Fatal)
                    // The authentication base class reports every challenge at Information; the request line says it already.
                    .MinimumLevel.Override(typeof(Features.Auth.ApiKeyAuthentication).FullName!, LogEventLevel.Warning)
                    .ReadFrom.Configuration(builder.Configuration)
                    .Enrich.FromLogContext();
                if (json)
                {
                    logger.WriteTo.Console(new RenderedCompactJsonFormatter());
                }
                else
                {
                    logger.WriteTo.Console(
                        outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContext}: {Message:lj} {TraceId}{NewLine}{Exception}",
                        formatProvider: System.Globalization.CultureInfo.InvariantCulture);
                }
            },
            // Several hosts share one process in the tests: none of them owns the static Log.Logger.
            preserveStaticLogger: true);
    }

    /// <summary>One line per request (method, path, status, elapsed) carrying the trace id; headers and query strings are not logged.</summary>
    public static void UseRequestLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(options =>
        {
            // The static Log.Logger is not ours (see AddLogging): write through the host's logger.
            options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            options.GetLevel = (http, _, error) => error is not null || http.Response.StatusCode >= 500
                ? LogEventLevel.Error
                : http.Request.Path.StartsWithSegments("/health") || http.Request.Path.StartsWithSegments("/metrics")
                    ? LogEventLevel.Debug
                    : LogEventLevel.Information;
            options.EnrichDiagnosticContext = (diagnostics, http) =>
                diagnostics.Set("TraceId", Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier);
        });
    }
}
