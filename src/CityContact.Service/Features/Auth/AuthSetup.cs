using CityContact.Service.Infrastructure.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace CityContact.Service.Features.Auth;

public static class AuthSetup
{
    /// <summary>The scheme every endpoint authorizes with: the API key's when the request has one, else the session's.</summary>
    public const string SchemeName = "ApiKeyOrSession";

    public static void AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiKeyStore>();
        builder.Services.AddSingleton<FailedKeyLimiter>();
        // Machines send an API key; people carry a session cookie. A request with a key is judged by the key alone.
        builder.Services.AddAuthentication(SchemeName)
            .AddPolicyScheme(SchemeName, "API key or session", options => options.ForwardDefaultSelector = http =>
                !http.Request.Headers.ContainsKey(ApiKeyAuthentication.HeaderName) && http.Request.Cookies.ContainsKey(SessionCookie.CookieName)
                    ? SessionCookie.SchemeName
                    : ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null)
            .AddCookie(SessionCookie.SchemeName, _ => { });
        builder.Services.AddOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(SessionCookie.SchemeName)
            .Configure<IOptions<Accounts.AccountsOptions>>((cookie, accounts) => SessionCookie.Configure(cookie, accounts.Value.SessionIdleTimeout, accounts.Value.AlwaysSecureCookie));
        // Every endpoint needs a key or a session unless it says otherwise (health, metrics, sign-in).
        builder.Services.AddAuthorizationBuilder().SetFallbackPolicy(new AuthorizationPolicyBuilder(SchemeName)
            .RequireAuthenticatedUser().Build());
        builder.Services.AddHostedService<EnsureBootstrapAdminKey>();
    }

    public static void UseAuth(this WebApplication app)
    {
        app.Use(FailedKeyLimiter.RefuseBlockedAddressesAsync);
        app.UseAuthentication();
        app.Use(SessionCookie.RequireCsrfTokenAsync);
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
