using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Primitives;

namespace CityContact.Service.Features.Auth;

/// <summary>Authenticates the X-Api-Key header; answers 401/403 as problem+json.</summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyStore keys,
    FailedKeyLimiter failedKeys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string KeyIdClaim = "key_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return AuthenticateResult.NoResult();
        }
        var key = await keys.FindActiveAsync(values.ToString(), Context.RequestAborted);
        if (key is null)
        {
            failedKeys.RecordFailure(Context);
            // The presented value is never logged: it may be a real key with a typo.
            Logger.LogWarning("Unknown or revoked API key from {RemoteAddress}", FailedKeyLimiter.AddressOf(Context));
            return AuthenticateResult.Fail("Unknown or revoked API key");
        }
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, key.Prefix),
                new Claim(ClaimTypes.Role, key.Role),
                new Claim(KeyIdClaim, key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\"";
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "An API key is required",
                Detail = Request.Headers.ContainsKey(HeaderName)
                    ? $"The {HeaderName} header holds an unknown or revoked key."
                    : $"Send a valid key in the {HeaderName} header.",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "The API key's role does not allow this",
                Detail = $"Role {Context.User.FindFirstValue(ClaimTypes.Role)} may not {Request.Method} {Request.Path}.",
            },
        });
    }
}
