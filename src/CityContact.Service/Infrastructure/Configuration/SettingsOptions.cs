using System.Globalization;
using Npgsql;

namespace CityContact.Service.Infrastructure.Configuration;

// One class per configuration section. Each validator names the full setting path in its message,
// because that message is the one line an operator sees when the service refuses to start.

public sealed class DatabaseOptions
{
    public const string Section = "ConnectionStrings";

    public string? CityContact { get; set; }
}

public sealed class AriOptions
{
    public const string Section = "Ari";

    /// <summary>
    /// The base URL of Asterisk's ARI, e.g. http://pbx:8088/ari. Empty: the built-in Asterisk simulator, for development
    /// and tests only; the Production environment refuses to start without an Asterisk.
    /// </summary>
    public string? Url { get; set; }

    public string? User { get; set; }

    public string? Password { get; set; }

    public string App { get; set; } = "citycontact";

    /// <summary>
    /// HTTP connections the service opens to ARI at most. Asterisk refuses connections beyond http.conf's
    /// <c>sessionlimit</c> (100 by default, counted with the event WebSocket and other HTTP clients), so this stays well below it;
    /// requests beyond it wait for a free connection.
    /// </summary>
    public int MaxConnections { get; set; } = 40;

    public bool UsesSimulator => string.IsNullOrWhiteSpace(Url);
}

public sealed class AmiOptions
{
    public const string Section = "Ami";

    public string? Host { get; set; }

    public int Port { get; set; } = 5038;

    public string? User { get; set; }

    public string? Secret { get; set; }
}

public enum SmtpSecurity
{
    None,
    StartTls,
    Tls,
}

public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.None;

    public string? User { get; set; }

    public string? Password { get; set; }

    public string From { get; set; } = "citycontact@localhost";
}

public sealed class CityOptions
{
    public const string Section = "City";

    public string TimeZone { get; set; } = "Europe/Bucharest";

    public string DefaultLanguage { get; set; } = "ro";

    public string Culture { get; set; } = "ro-RO";
}

public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>An admin key ensured on every start (only its hash is stored). Empty: none.</summary>
    public string? BootstrapAdminKey { get; set; }

    /// <summary>Unknown or revoked keys one address may present per minute before it gets 429.</summary>
    public int FailedKeysPerMinute { get; set; } = 20;
}

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.CityContact))
        {
            return ValidateOptionsResult.Fail("ConnectionStrings:CityContact is required (environment variable ConnectionStrings__CityContact)");
        }
        try
        {
            _ = new NpgsqlConnectionStringBuilder(options.CityContact);
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail($"ConnectionStrings:CityContact is not a valid PostgreSQL connection string: {e.Message}");
        }
    }
}

internal sealed class AriOptionsValidator(IHostEnvironment environment) : IValidateOptions<AriOptions>
{
    public ValidateOptionsResult Validate(string? name, AriOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.App))
        {
            errors.Add("Ari:App must not be empty");
        }
        if (options.MaxConnections is < 1 or > 1000)
        {
            errors.Add($"Ari:MaxConnections {options.MaxConnections} must be between 1 and 1000 (and below Asterisk's http.conf sessionlimit, 100 by default)");
        }
        if (options.UsesSimulator && environment.IsProduction())
        {
            // A typo in a production host's settings must not leave the city's number answered by nobody behind a healthy service.
            errors.Add("Ari:Url is required in the Production environment: without it the service would answer a simulated Asterisk, not the city's (the simulator is for development: ASPNETCORE_ENVIRONMENT=Development)");
        }
        if (!options.UsesSimulator)
        {
            if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"Ari:Url '{options.Url}' must be an absolute http(s) URL such as http://asterisk:8088/ari (or empty for the built-in simulator)");
            }
            if (string.IsNullOrWhiteSpace(options.User))
            {
                errors.Add("Ari:User is required when Ari:Url is set");
            }
            if (string.IsNullOrWhiteSpace(options.Password))
            {
                errors.Add("Ari:Password is required when Ari:Url is set");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class AmiOptionsValidator : IValidateOptions<AmiOptions>
{
    public ValidateOptionsResult Validate(string? name, AmiOptions options)
    {
        var errors = new List<string>();
        if (options.Port is < 1 or > 65535)
        {
            errors.Add($"Ami:Port {options.Port} must be between 1 and 65535");
        }
        if (!string.IsNullOrWhiteSpace(options.Host) && (string.IsNullOrWhiteSpace(options.User) || string.IsNullOrWhiteSpace(options.Secret)))
        {
            errors.Add("Ami:User and Ami:Secret are required when Ami:Host is set");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class SmtpOptionsValidator : IValidateOptions<SmtpOptions>
{
    public ValidateOptionsResult Validate(string? name, SmtpOptions options)
    {
        var errors = new List<string>();
        if (options.Port is < 1 or > 65535)
        {
            errors.Add($"Smtp:Port {options.Port} must be between 1 and 65535");
        }
        if (!Enum.IsDefined(options.Security))
        {
            errors.Add("Smtp:Security must be None, StartTls or Tls");
        }
        if (!System.Net.Mail.MailAddress.TryCreate(options.From, out _))
        {
            errors.Add($"Smtp:From '{options.From}' is not an email address");
        }
        if (!string.IsNullOrEmpty(options.User) && string.IsNullOrEmpty(options.Password))
        {
            errors.Add("Smtp:Password is required when Smtp:User is set");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class CityOptionsValidator : IValidateOptions<CityOptions>
{
    public ValidateOptionsResult Validate(string? name, CityOptions options)
    {
        var errors = new List<string>();
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(options.TimeZone ?? "", out var zone) || !zone.HasIanaId)
        {
            errors.Add($"City:TimeZone '{options.TimeZone}' is not a known IANA time zone id (e.g. Europe/Bucharest)");
        }
        if (string.IsNullOrWhiteSpace(options.DefaultLanguage)
            || !System.Text.RegularExpressions.Regex.IsMatch(options.DefaultLanguage, "^[a-z]{2,3}(-[A-Z]{2})?$"))
        {
            errors.Add($"City:DefaultLanguage '{options.DefaultLanguage}' must be a language code such as ro or en");
        }
        if (!IsKnownCulture(options.Culture))
        {
            errors.Add($"City:Culture '{options.Culture}' is not a known culture (e.g. ro-RO)");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsKnownCulture(string? name) =>
        !string.IsNullOrWhiteSpace(name)
        && CultureInfo.GetCultures(CultureTypes.SpecificCultures | CultureTypes.NeutralCultures)
            .Any(culture => string.Equals(culture.Name, name, StringComparison.OrdinalIgnoreCase));
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    // A shorter secret could be guessed within the rate limit's patience.
    public const int MinimumBootstrapKeyLength = 24;

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrEmpty(options.BootstrapAdminKey)
            && (options.BootstrapAdminKey.Length < MinimumBootstrapKeyLength || options.BootstrapAdminKey.Any(char.IsWhiteSpace)))
        {
            errors.Add($"Auth:BootstrapAdminKey must be at least {MinimumBootstrapKeyLength} characters without spaces");
        }
        if (options.FailedKeysPerMinute is < 1 or > 10000)
        {
            errors.Add($"Auth:FailedKeysPerMinute {options.FailedKeysPerMinute} must be between 1 and 10000");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
