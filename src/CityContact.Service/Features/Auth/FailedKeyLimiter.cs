using System.Threading.RateLimiting;

namespace CityContact.Service.Features.Auth;

/// <summary>
/// Counts unknown or revoked keys per remote address (the client's, behind trusted proxies) in a fixed one-minute
/// window. Once an address has used up its allowance, its unknown keys are answered 429, so guessing gets nowhere;
/// a valid key from the same address still works (an office behind one NAT address must not be locked out by one
/// misconfigured script).
/// </summary>
public sealed class FailedKeyLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter;

    public FailedKeyLimiter(IOptions<Infrastructure.Configuration.AuthOptions> options)
    {
        var perMinute = options.Value.FailedKeysPerMinute;
        limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ =>
            new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = Window, QueueLimit = 0, AutoReplenishment = true }));
    }

    public static TimeSpan Window { get; } = TimeSpan.FromMinutes(1);

    public static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public void RecordFailure(HttpContext http)
    {
        using var _ = limiter.AttemptAcquire(AddressOf(http));
    }

    public bool IsBlocked(HttpContext http) => limiter.GetStatistics(AddressOf(http))?.CurrentAvailablePermits <= 0;

    public void Dispose() => limiter.Dispose();

    /// <summary>Runs before authentication.</summary>
    public static async Task RefuseBlockedAddressesAsync(HttpContext http, RequestDelegate next)
    {
        var limiter = http.RequestServices.GetRequiredService<FailedKeyLimiter>();
        if (http.Request.Headers.TryGetValue(ApiKeyAuthentication.HeaderName, out var presented) && limiter.IsBlocked(http)
            && await http.RequestServices.GetRequiredService<ApiKeyStore>().FindActiveAsync(presented.ToString(), http.RequestAborted) is null)
        {
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = ((int)Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many invalid API keys",
                    Detail = "This address presented too many unknown or revoked keys; try again in a minute.",
                },
            });
            return;
        }
        await next(http);
    }
}
