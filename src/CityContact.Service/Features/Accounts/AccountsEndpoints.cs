using System.Globalization;
using System.Security.Claims;
using System.Text.RegularExpressions;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Auth;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Accounts;

public sealed record SignInRequest(string? Username, string? Password);

public sealed record LanguageRequest(string? Language);

public sealed record CreateAccountRequest(string? Username, string? DisplayName, string? Role, long? AgentId, string? Language, string? Password);

public sealed record UpdateAccountRequest(string? DisplayName, string? Language, bool? Disabled);

public sealed record PasswordResetRequest(string? Password);

/// <summary>Who is signed in. <see cref="CsrfToken"/> (sessions only) goes back in the X-CSRF-Token header of every change.</summary>
public sealed record MeView(long? Id, string Username, string DisplayName, string Role, long? AgentId, string Language, string? CsrfToken);

public sealed record AccountView(
    long Id, string Username, string DisplayName, string Role, long? AgentId, string Language, bool Disabled, bool Locked,
    DateTime CreatedAt, string CreatedBy, DateTime UpdatedAt)
{
    public static AccountView Of(Account a, DateTimeOffset now) => new(
        a.Id, a.Username, a.DisplayName, a.Role, a.AgentId, a.Language, a.Disabled, a.LockedUntil > now.UtcDateTime, a.CreatedAt, a.CreatedBy, a.UpdatedAt);
}

public static partial class AccountsEndpoints
{
    public static void MapAccounts(this IEndpointRouteBuilder endpoints)
    {
        var auth = endpoints.MapGroup("/api/auth").WithTags("Accounts");
        auth.MapPost("/signin", SignInAsync).AllowAnonymous()
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapPost("/signout", SignOutAsync).RequireRoles([.. Roles.All]);

        var me = endpoints.MapGroup("/api/me").WithTags("Accounts").RequireRoles([.. Roles.All]);
        me.MapGet("/", GetMeAsync);
        me.MapPut("/language", SetLanguageAsync);

        var accounts = endpoints.MapGroup("/api/accounts").WithTags("Accounts").RequireRoles(Roles.Admin);
        accounts.MapGet("/", ListAsync);
        accounts.MapGet("/{id:long}", GetAsync);
        accounts.MapPost("/", CreateAsync);
        accounts.MapPut("/{id:long}", UpdateAsync);
        accounts.MapPost("/{id:long}/password", ResetPasswordAsync);
    }

    private static async Task<Results<Ok<MeView>, ValidationProblem, ProblemHttpResult>> SignInAsync(
        SignInRequest request, AccountSignIn signIn, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Username) || request.Username.Length > 64)
        {
            errors["username"] = ["username is required"];
        }
        if (string.IsNullOrEmpty(request.Password) || request.Password.Length > 1000)
        {
            errors["password"] = ["password is required"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var outcome = await signIn.SignInAsync(request.Username!.Trim().ToLowerInvariant(), request.Password!,
            http.Connection.RemoteIpAddress?.ToString(), ProblemSetup.TraceIdOf(http), ct);
        if (outcome is not SignInOutcome.SignedIn signedIn)
        {
            // One answer for an unknown name, a wrong password and a locked account: none tells a guesser which.
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in refused",
                detail: "The name or password is wrong, or the account is locked for a while after repeated failures (an admin can reset it).");
        }
        var principal = SessionCookie.PrincipalOf(signedIn.Account, signedIn.SecurityStamp);
        await http.SignInAsync(SessionCookie.SchemeName, principal);
        return TypedResults.Ok(MeOf(signedIn.Account, principal));
    }

    private static async Task<NoContent> SignOutAsync(HttpContext http, AccountStore store, CancellationToken ct)
    {
        if (SessionCookie.IsSession(http.User) && AccountIdOf(http.User) is { } id)
        {
            await http.SignOutAsync(SessionCookie.SchemeName);
            await store.AuditSignOutAsync(id, KeysEndpoints.Actor(http), ProblemSetup.TraceIdOf(http), ct);
        }
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<MeView>, ProblemHttpResult>> GetMeAsync(HttpContext http, AccountStore store, CancellationToken ct)
    {
        if (!SessionCookie.IsSession(http.User))
        {
            // An API key: its prefix and role; keys have no account, agent or language.
            return TypedResults.Ok(new MeView(null, KeysEndpoints.Actor(http), KeysEndpoints.Actor(http), http.User.FindFirstValue(ClaimTypes.Role)!,
                null, AccountLanguages.English, null));
        }
        return AccountIdOf(http.User) is { } id && await store.GetAsync(id, ct) is { } account
            ? TypedResults.Ok(MeOf(account, http.User))
            : Problems.NotFound("The signed-in account");
    }

    private static async Task<Results<Ok<MeView>, ValidationProblem, ProblemHttpResult>> SetLanguageAsync(
        LanguageRequest request, HttpContext http, AccountStore store, CancellationToken ct)
    {
        if (request.Language is null || !AccountLanguages.All.Contains(request.Language))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["language"] = [$"language must be one of {string.Join(", ", AccountLanguages.All)}"] });
        }
        if (!SessionCookie.IsSession(http.User) || AccountIdOf(http.User) is not { } id)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Only a signed-in person has a language",
                detail: "API keys have no account; sign in to choose a language.");
        }
        var account = await store.UpdateAsync(id, new AccountChange(null, request.Language, null), KeysEndpoints.Actor(http), ProblemSetup.TraceIdOf(http), ct);
        return account is null ? Problems.NotFound("The signed-in account") : TypedResults.Ok(MeOf(account, http.User));
    }

    private static async Task<Ok<AccountView[]>> ListAsync(AccountStore store, TimeProvider time, CancellationToken ct) =>
        TypedResults.Ok((await store.ListAsync(ct)).Select(a => AccountView.Of(a, time.GetUtcNow())).ToArray());

    private static async Task<Results<Ok<AccountView>, ProblemHttpResult>> GetAsync(long id, AccountStore store, TimeProvider time, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } account ? TypedResults.Ok(AccountView.Of(account, time.GetUtcNow())) : Problems.NotFound($"Account {id}");

    private static async Task<Results<Created<AccountView>, ValidationProblem>> CreateAsync(
        CreateAccountRequest request, AccountStore store, AgentStore agents, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var username = request.Username?.Trim().ToLowerInvariant();
        if (username is null || !UsernamePattern().IsMatch(username))
        {
            errors["username"] = ["username is 2 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"];
        }
        if (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Trim().Length > 200)
        {
            errors["displayName"] = ["displayName is required (at most 200 characters)"];
        }
        if (request.Role is null || !Roles.All.Contains(request.Role))
        {
            errors["role"] = [$"role must be one of {string.Join(", ", Roles.All)}"];
        }
        else if (request.Role == Roles.Agent && request.AgentId is null)
        {
            errors["agentId"] = ["an agent account is linked to its agent: agentId is required"];
        }
        else if (request.Role != Roles.Agent && request.AgentId is not null)
        {
            errors["agentId"] = ["only an agent account is linked to an agent"];
        }
        else if (request.AgentId is { } agentId && await agents.GetAsync(agentId, ct) is null)
        {
            errors["agentId"] = [$"agent {agentId} does not exist"];
        }
        if (request.Language is not null && !AccountLanguages.All.Contains(request.Language))
        {
            errors["language"] = [$"language must be one of {string.Join(", ", AccountLanguages.All)}"];
        }
        CheckPassword(errors, request.Password);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var account = await store.CreateAsync(
            new NewAccount(username!, request.DisplayName!.Trim(), request.Role!, request.AgentId, request.Language ?? AccountLanguages.Romanian, request.Password!),
            AccountSignIn.Hash(request.Password!), KeysEndpoints.Actor(http), ProblemSetup.TraceIdOf(http), ct);
        return TypedResults.Created($"/api/accounts/{account.Id}", AccountView.Of(account, time.GetUtcNow()));
    }

    private static async Task<Results<Ok<AccountView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        long id, UpdateAccountRequest request, AccountStore store, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.DisplayName is not null && (string.IsNullOrWhiteSpace(request.DisplayName) || request.DisplayName.Trim().Length > 200))
        {
            errors["displayName"] = ["displayName is 1 to 200 characters"];
        }
        if (request.Language is not null && !AccountLanguages.All.Contains(request.Language))
        {
            errors["language"] = [$"language must be one of {string.Join(", ", AccountLanguages.All)}"];
        }
        if (request.Disabled is true && AccountIdOf(http.User) == id)
        {
            errors["disabled"] = ["an admin cannot disable the account they are signed in with"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var account = await store.UpdateAsync(id, new AccountChange(request.DisplayName?.Trim(), request.Language, request.Disabled),
            KeysEndpoints.Actor(http), ProblemSetup.TraceIdOf(http), ct);
        return account is null ? Problems.NotFound($"Account {id}") : TypedResults.Ok(AccountView.Of(account, time.GetUtcNow()));
    }

    private static async Task<Results<Ok<AccountView>, ValidationProblem, ProblemHttpResult>> ResetPasswordAsync(
        long id, PasswordResetRequest request, AccountStore store, TimeProvider time, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        CheckPassword(errors, request.Password);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var account = await store.ResetPasswordAsync(id, AccountSignIn.Hash(request.Password!), KeysEndpoints.Actor(http), ProblemSetup.TraceIdOf(http), ct);
        return account is null ? Problems.NotFound($"Account {id}") : TypedResults.Ok(AccountView.Of(account, time.GetUtcNow()));
    }

    private static void CheckPassword(Dictionary<string, string[]> errors, string? password)
    {
        if (password is null || password.Length < AccountsOptions.MinimumPasswordLength || password.Length > 1000)
        {
            errors["password"] = [$"password is {AccountsOptions.MinimumPasswordLength} to 1000 characters"];
        }
    }

    private static MeView MeOf(Account account, ClaimsPrincipal principal) =>
        new(account.Id, account.Username, account.DisplayName, account.Role, account.AgentId, account.Language, principal.FindFirstValue(SessionCookie.CsrfClaim));

    private static long? AccountIdOf(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(SessionCookie.AccountIdClaim), CultureInfo.InvariantCulture, out var id) ? id : null;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{1,63}$")]
    private static partial Regex UsernamePattern();
}
