using System.Text.RegularExpressions;
using CityContact.Service.Infrastructure.Configuration;

namespace CityContact.Service.Features.Surveys;

/// <summary>
/// Section <c>Surveys</c>: the outbound survey call placed when a ticket is resolved. Calling hours are not a setting of
/// their own: the city calls during the business hours of the ticket's department (its schedule and holidays, else
/// Tickets:DefaultScheduleCode, else Monday–Friday 08:00–16:00 in City:TimeZone). Resolved outside them, the call is
/// planned for the next opening (<see cref="SurveyCallScheduler"/>).
/// </summary>
public sealed class SurveyOptions
{
    public const string Section = "Surveys";

    /// <summary>Off by default: calling citizens is the city's decision.</summary>
    public bool OutboundCalls { get; set; }

    /// <summary>The ARI endpoint to dial; <c>{number}</c> is the citizen's number (E.164).</summary>
    public string DialTemplate { get; set; } = "PJSIP/{number}@trunk";

    /// <summary>The caller id the citizen sees (the city's public number).</summary>
    public string? CallerId { get; set; }

    public int RingTimeoutSeconds { get; set; } = 30;

    /// <summary>Originate attempts for a call planned at an opening (Asterisk away at that moment); 1 to 10.</summary>
    public int PlaceAttempts { get; set; } = 3;

    /// <summary>Minutes between those attempts; 1 to 240.</summary>
    public int RetryMinutes { get; set; } = 10;

    /// <summary>
    /// Numbers that may be called, as whole-number regular expressions. Toll fraud is real: the default allows only
    /// Romanian geographic and mobile numbers, no premium-rate (09xx), shared-cost (08xx) or international ones.
    /// </summary>
    public IReadOnlyList<string> AllowedNumbers { get; set; } = [@"\+40[237][0-9]{8}"];

    public bool IsAllowed(string number) =>
        AllowedNumbers.Any(pattern => Regex.IsMatch(number, $"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromMilliseconds(50)));
}

public sealed class SurveyOptionsValidator : IValidateOptions<SurveyOptions>
{
    public ValidateOptionsResult Validate(string? name, SurveyOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DialTemplate) || !options.DialTemplate.Contains('/', StringComparison.Ordinal))
        {
            errors.Add("Surveys:DialTemplate must be an ARI endpoint such as PJSIP/{number}@trunk");
        }
        errors.RequireBetween("Surveys:RingTimeoutSeconds", options.RingTimeoutSeconds, 5, 120);
        errors.RequireBetween("Surveys:PlaceAttempts", options.PlaceAttempts, 1, 10);
        errors.RequireBetween("Surveys:RetryMinutes", options.RetryMinutes, 1, 240);
        foreach (var pattern in options.AllowedNumbers ?? [])
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(50));
            }
            catch (ArgumentException e)
            {
                errors.Add($"Surveys:AllowedNumbers '{pattern}' is not a regular expression: {e.Message}");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
