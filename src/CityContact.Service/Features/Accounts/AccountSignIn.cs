using Microsoft.AspNetCore.Identity;

namespace CityContact.Service.Features.Accounts;

public abstract record SignInOutcome
{
    public sealed record SignedIn(Account Account, Guid SecurityStamp) : SignInOutcome;

    /// <summary>Unknown name, wrong password, disabled or locked: the caller answers all alike.</summary>
    public sealed record Refused(bool Locked) : SignInOutcome;
}

/// <summary>
/// Checks a name and password. Passwords are hashed by ASP.NET Core Identity's PasswordHasher (PBKDF2-HMAC-SHA512,
/// 100,000 iterations, random salt per hash). Lock-out counts failures per account, never per address, so that one
/// person's typos or a guesser behind a city hall's shared address never lock anybody else out.
/// </summary>
public sealed class AccountSignIn(AccountStore store, IOptions<AccountsOptions> options, TimeProvider time)
{
    private static readonly PasswordHasher<Account> Hasher = new();

    // Verified against when the name is unknown, so that an unknown name costs the same time as a wrong password.
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(null!, Guid.NewGuid().ToString()));

    public static string Hash(string password) => Hasher.HashPassword(null!, password);

    public async Task<SignInOutcome> SignInAsync(string username, string password, string? address, string? traceId, CancellationToken ct)
    {
        var found = await store.FindCredentialsAsync(username, ct);
        if (found is null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash.Value, password);
            return new SignInOutcome.Refused(false);
        }
        var account = found.Account;
        var now = time.GetUtcNow();
        if (account.LockedUntil is { } until && until > now.UtcDateTime)
        {
            // No verification while locked: a guesser learns nothing, and the counter does not run on.
            return new SignInOutcome.Refused(true);
        }
        var verdict = Hasher.VerifyHashedPassword(account, found.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed || account.Disabled)
        {
            if (account.Disabled)
            {
                return new SignInOutcome.Refused(false);
            }
            var locked = await store.RecordFailureAsync(account.Id, now, options.Value.MaxFailedAttempts, options.Value.LockoutDuration, address, traceId, ct);
            return new SignInOutcome.Refused(locked);
        }
        var rehashed = verdict == PasswordVerificationResult.SuccessRehashNeeded ? Hash(password) : null;
        await store.RecordSignInAsync(account.Id, rehashed, address, traceId, ct);
        return new SignInOutcome.SignedIn(account with { FailedAttempts = 0, LockedUntil = null }, found.SecurityStamp);
    }
}
