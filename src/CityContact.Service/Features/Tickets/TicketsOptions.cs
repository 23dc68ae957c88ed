using System.Text.RegularExpressions;

namespace CityContact.Service.Features.Tickets;

public sealed class TicketsOptions
{
    public const string Section = "Tickets";

    /// <summary>Letters before the year in ticket numbers: TM → TM-2026-000123.</summary>
    public string NumberPrefix { get; set; } = "TM";

    /// <summary>Country calling code given to national numbers (0722… → +40722…).</summary>
    public string CountryCode { get; set; } = "40";

    /// <summary>
    /// Code of the schedule whose business hours count SLAs, callbacks and survey calls for departments without their
    /// own schedule: by default the city-hall schedule seeded on first start (and answered by the default flow).
    /// </summary>
    public string DefaultScheduleCode { get; set; } = Ivr.DefaultFlow.ScheduleCode;
}

internal sealed partial class TicketsOptionsValidator : IValidateOptions<TicketsOptions>
{
    public ValidateOptionsResult Validate(string? name, TicketsOptions options)
    {
        var errors = new List<string>();
        if (options.NumberPrefix is null || !Prefix().IsMatch(options.NumberPrefix))
        {
            errors.Add($"Tickets:NumberPrefix '{options.NumberPrefix}' must be 1-8 capital letters (e.g. TM)");
        }
        if (options.CountryCode is null || !CountryCode().IsMatch(options.CountryCode))
        {
            errors.Add($"Tickets:CountryCode '{options.CountryCode}' must be a country calling code of 1-3 digits without + (e.g. 40)");
        }
        if (string.IsNullOrWhiteSpace(options.DefaultScheduleCode))
        {
            errors.Add("Tickets:DefaultScheduleCode must name a schedule code (e.g. city)");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[A-Z]{1,8}$")]
    private static partial Regex Prefix();

    [GeneratedRegex("^[1-9][0-9]{0,2}$")]
    private static partial Regex CountryCode();
}
