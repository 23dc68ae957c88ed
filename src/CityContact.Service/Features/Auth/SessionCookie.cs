using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CityContact.Service.Features.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace CityContact.Service.Features.Auth;

/// <summary>
/// A person's session: an encrypted cookie (HttpOnly, SameSite=Strict, Secure when the request came over TLS) holding the
/// account's id, role, agent and a CSRF token. Every state-changing request made with the cookie must echo the token in
/// <see cref="CsrfHeader"/>; requests with an API key carry no cookie and need no token.
/// </summary>
public static class SessionCookie
{
    public const string SchemeName = "Session";
    public const string CookieName = "cc_session";
    public const string CsrfHeader = "X-CSRF-Token";
    public const string CsrfClaim = "csrf";
    public const string StampClaim = "stamp";
    public const string AccountIdClaim = "account_id";

    /// <summary>An agent account's agent (agents.id), for the endpoints that let an agent act only on itself.</summary>
    public const string AgentIdClaim = "agent_id";

    public static void Configure(CookieAuthenticationOptions options, TimeSpan idleTimeout, bool alwaysSecure)
    {
        options.Cookie.Name = CookieName;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Strict;
        options.Cookie.SecurePolicy = alwaysSecure ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        options.Cookie.IsEssential = true;
        options.ExpireTimeSpan = idleTimeout;
        options.SlidingExpiration = true;
        options.Events.OnRedirectToLogin = context => WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized,
            "Sign in first", "The session has ended or was never started; sign in again.");
        options.Events.OnRedirectToAccessDenied = context => WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden,
            "Your role does not allow this",
            $"Role {context.HttpContext.User.FindFirstValue(ClaimTypes.Role)} may not {context.Request.Method} {context.Request.Path}.");
        options.Events.OnValidatePrincipal = ValidateAsync;
    }

    public static ClaimsPrincipal PrincipalOf(Account account, Guid stamp)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, account.Username),
            new(ClaimTypes.Role, account.Role),
            new(AccountIdClaim, account.Id.ToString(CultureInfo.InvariantCulture)),
            new(StampClaim, stamp.ToString()),
            new(CsrfClaim, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))),
        };
        if (account.AgentId is { } agentId)
        {
            claims.Add(new Claim(AgentIdClaim, agentId.ToString(CultureInfo.InvariantCulture)));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, ClaimTypes.Name, ClaimTypes.Role));
    }

    public static bool IsSession(ClaimsPrincipal user) => user.Identity is { IsAuthenticated: true, AuthenticationType: SchemeName };

    /// <summary>A reset password or a disabled account ends its sessions at their next request.</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal!;
        var ok = long.TryParse(principal.FindFirstValue(AccountIdClaim), CultureInfo.InvariantCulture, out var id)
            && await context.HttpContext.RequestServices.GetRequiredService<AccountStore>().ActiveStampAsync(id, context.HttpContext.RequestAborted) is { } stamp
            && stamp.ToString() == principal.FindFirstValue(StampClaim);
        if (!ok)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SchemeName);
        }
    }

    /// <summary>Runs after authentication: a state-changing request on a session must carry the session's CSRF token.</summary>
    public static async Task RequireCsrfTokenAsync(HttpContext http, RequestDelegate next)
    {
        if (!IsSafe(http.Request.Method) && IsSession(http.User)
            && http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null
            && !Matches(http.Request.Headers[CsrfHeader].ToString(), http.User.FindFirstValue(CsrfClaim)))
        {
            await WriteProblemAsync(http, StatusCodes.Status403Forbidden, "CSRF token missing or wrong",
                $"A signed-in request that changes something must send the {CsrfHeader} header with the token from GET /api/me.", CsrfHeader);
            return;
        }
        await next(http);
    }

    private static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    private static bool Matches(string presented, string? expected) =>
        !string.IsNullOrEmpty(presented) && expected is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));

    private static async Task WriteProblemAsync(HttpContext http, int status, string title, string detail, string? field = null)
    {
        http.Response.StatusCode = status;
        var problem = field is null
            ? new Microsoft.AspNetCore.Mvc.ProblemDetails()
            : new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [title] });
        problem.Status = status;
        problem.Title = title;
        problem.Detail = detail;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem });
    }
}
