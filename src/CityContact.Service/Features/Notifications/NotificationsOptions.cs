using System.Text.RegularExpressions;

namespace CityContact.Service.Features.Notifications;

public sealed class NotificationsOptions
{
    public const string Section = "Notifications";

    /// <summary>Comma-separated notifiers to use: email, sms; empty = none.</summary>
    public string Notifiers { get; set; } = "";

    /// <summary>Attempts per notification before it is given up (and logged as lost).</summary>
    public int Attempts { get; set; } = 5;

    /// <summary>Wait before the first retry; doubled after each failure.</summary>
    public double FirstRetrySeconds { get; set; } = 5;

    public SmsGatewayOptions Sms { get; set; } = new();

    public IReadOnlyList<string> Enabled =>
        [.. Notifiers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.ToLowerInvariant())];
}

/// <summary>The HTTP SMS gateway: POST {Url} with a JSON body {to, text, reference} and the auth header.</summary>
public sealed class SmsGatewayOptions
{
    public string? Url { get; set; }

    /// <summary>Header carrying the gateway's credential, e.g. Authorization or X-Api-Key.</summary>
    public string AuthHeader { get; set; } = "Authorization";

    /// <summary>Its value, e.g. "Bearer abc…"; never logged.</summary>
    public string? AuthValue { get; set; }

    public double TimeoutSeconds { get; set; } = 10;
}

internal sealed partial class NotificationsOptionsValidator : IValidateOptions<NotificationsOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationsOptions options)
    {
        var errors = new List<string>();
        foreach (var notifier in options.Enabled.Where(n => n is not ("email" or "sms")))
        {
            errors.Add($"Notifications:Notifiers '{notifier}' is not a notifier: use email, sms or both (comma-separated)");
        }
        if (options.Attempts is < 1 or > 100)
        {
            errors.Add($"Notifications:Attempts {options.Attempts} must be between 1 and 100");
        }
        if (options.FirstRetrySeconds is < 0 or > 3600)
        {
            errors.Add($"Notifications:FirstRetrySeconds {options.FirstRetrySeconds} must be between 0 and 3600");
        }
        if (options.Enabled.Contains("sms"))
        {
            if (!Uri.TryCreate(options.Sms.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                errors.Add($"Notifications:Sms:Url '{options.Sms.Url}' must be an absolute http(s) URL when sms is enabled");
            }
            if (string.IsNullOrWhiteSpace(options.Sms.AuthHeader) || !HeaderName().IsMatch(options.Sms.AuthHeader))
            {
                errors.Add($"Notifications:Sms:AuthHeader '{options.Sms.AuthHeader}' is not an HTTP header name");
            }
            if (options.Sms.TimeoutSeconds is <= 0 or > 300)
            {
                errors.Add($"Notifications:Sms:TimeoutSeconds {options.Sms.TimeoutSeconds} must be between 0 and 300");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex HeaderName();
}
