using CityContact.Service.Infrastructure.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace CityContact.Service.Features.Auth;

public static class AuthSetup
{
    public static void AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<FailedKeyLimiter>();
        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        // Every endpoint needs a key unless it says otherwise (health, metrics).
        builder.Services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder(ApiKeyAuthentication.SchemeName)
            .RequireAuthenticatedUser().Build());
        builder.Services.AddHostedService<EnsureBootstrapAdminKey>();
    }

    public static void UseAuth(this WebApplication app)
    {
        app.Use(FailedKeyLimiter.RefuseBlockedAddressesAsync);
        app.UseAuthentication();
        app.UseAuthorization();
    }

    public static void MapAuth(this WebApplication app) => app.MapKeys();

    /// <summary>Runs after the migration (hosted services start in registration order).</summary>
    private sealed class EnsureBootstrapAdminKey(IOptions<AuthOptions> options, ApiKeyStore keys, ILogger<EnsureBootstrapAdminKey> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var key = options.Value.BootstrapAdminKey;
            if (string.IsNullOrEmpty(key))
            {
                return;
            }
            if (await keys.EnsureBootstrapAsync(key, cancellationToken))
            {
                logger.LogInformation("Bootstrap admin key from Auth:BootstrapAdminKey stored (prefix {Prefix})", ApiKeySecret.BootstrapPrefix);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
