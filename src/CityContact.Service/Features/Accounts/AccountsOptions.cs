namespace CityContact.Service.Features.Accounts;

public sealed class AccountsOptions
{
    public const string Section = "Accounts";

    /// <summary>Consecutive wrong passwords after which the account (only that account) is locked.</summary>
    public int MaxFailedAttempts { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A session ends this long after its last use (sliding).</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(10);

    /// <summary>
    /// Marks the session cookie Secure on every answer, for a service behind a proxy that terminates TLS (the service
    /// then sees plain HTTP). Without it the cookie is Secure whenever the request reached the service over TLS.
    /// </summary>
    public bool AlwaysSecureCookie { get; set; }

    /// <summary>
    /// The password of the first admin account ("admin"), created on start while no admin account exists; `make run`
    /// generates one next to the bootstrap key. Empty: none is created (an admin key creates accounts instead).
    /// </summary>
    public string? FirstAdminPassword { get; set; }

    public const int MinimumPasswordLength = 10;
}

internal sealed class AccountsOptionsValidator : IValidateOptions<AccountsOptions>
{
    public ValidateOptionsResult Validate(string? name, AccountsOptions options)
    {
        var errors = new List<string>();
        if (options.MaxFailedAttempts is < 1 or > 100)
        {
            errors.Add($"Accounts:MaxFailedAttempts {options.MaxFailedAttempts} must be between 1 and 100");
        }
        if (options.LockoutDuration < TimeSpan.FromSeconds(1) || options.LockoutDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"Accounts:LockoutDuration {options.LockoutDuration} must be between 00:00:01 and 1.00:00:00");
        }
        if (options.SessionIdleTimeout < TimeSpan.FromMinutes(1) || options.SessionIdleTimeout > TimeSpan.FromDays(7))
        {
            errors.Add($"Accounts:SessionIdleTimeout {options.SessionIdleTimeout} must be between 00:01:00 and 7.00:00:00");
        }
        if (!string.IsNullOrEmpty(options.FirstAdminPassword) && options.FirstAdminPassword.Length < AccountsOptions.MinimumPasswordLength)
        {
            errors.Add($"Accounts:FirstAdminPassword must be at least {AccountsOptions.MinimumPasswordLength} characters");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
