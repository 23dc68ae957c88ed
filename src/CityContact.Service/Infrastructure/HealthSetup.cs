using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace CityContact.Service.Infrastructure;

/// <summary>/health/live answers while the process runs; /health/ready runs every check tagged <see cref="ReadyTag"/>.</summary>
public static class HealthSetup
{
    public const string ReadyTag = "ready";

    public static void MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) }).AllowAnonymous();
    }
}
