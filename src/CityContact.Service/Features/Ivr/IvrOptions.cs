using System.Text.RegularExpressions;
using CityContact.Service.Infrastructure.Configuration;

namespace CityContact.Service.Features.Ivr;

public sealed class IvrOptions
{
    public const string Section = "Ivr";

    /// <summary>The language a dialed number starts in (e.g. an English-only line); others start in City:DefaultLanguage.</summary>
    public Dictionary<string, string> NumberLanguages { get; set; } = [];

    /// <summary>Defaults for nodes that set no timing of their own.</summary>
    public int DefaultTimeoutMs { get; set; } = 5000;

    public int DefaultInterDigitTimeoutMs { get; set; } = 3000;

    public int DefaultMaxRetries { get; set; } = 2;

    /// <summary>External numbers a transfer node may dial: each entry a regular expression matched against the whole number.</summary>
    public List<string> TransferAllowList { get; set; } = [];

    /// <summary>The PJSIP endpoint of the SIP trunk external transfers leave through (PJSIP/&lt;number&gt;@&lt;trunk&gt;).</summary>
    public string TransferTrunk { get; set; } = "trunk";

    public int TransferRingTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// What a service shutdown does to calls in progress: true hangs them up (their rows close as failed,
    /// "service-stopped"); false leaves them in the Stasis app, rows open, for the instance that starts next (or runs
    /// beside this one) to re-adopt: a caller waiting in a queue goes back to their place, one talking to an agent stays
    /// connected, any other goes to the operator fallback. Rolling restarts without dropping callers.
    /// </summary>
    public bool HangUpCallsOnStop { get; set; }

    /// <summary>How often the live flows and schedules are re-read, so another instance's publish reaches this one.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsAllowedExternal(string number) =>
        TransferAllowList.Any(pattern => Regex.IsMatch(number, $"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromMilliseconds(50)));
}

internal sealed class IvrOptionsValidator : IValidateOptions<IvrOptions>
{
    public ValidateOptionsResult Validate(string? name, IvrOptions options)
    {
        var errors = new List<string>();
        errors.RequireBetween("Ivr:DefaultTimeoutMs", options.DefaultTimeoutMs, 100, 120_000);
        errors.RequireBetween("Ivr:DefaultInterDigitTimeoutMs", options.DefaultInterDigitTimeoutMs, 100, 60_000);
        errors.RequireBetween("Ivr:DefaultMaxRetries", options.DefaultMaxRetries, 0, 10);
        errors.RequireBetween("Ivr:TransferRingTimeoutSeconds", options.TransferRingTimeoutSeconds, 1, 300);
        if (options.RefreshInterval <= TimeSpan.Zero)
        {
            errors.Add("Ivr:RefreshInterval must be positive");
        }
        foreach (var pattern in options.TransferAllowList)
        {
            try
            {
                _ = new Regex(pattern);
            }
            catch (ArgumentException e)
            {
                errors.Add($"Ivr:TransferAllowList entry '{pattern}' is not a regular expression: {e.Message}");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
