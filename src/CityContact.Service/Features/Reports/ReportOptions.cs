namespace CityContact.Service.Features.Reports;

/// <summary>Settings of section <c>Reports</c>: where the templates are and what counts as failing citizens.</summary>
public sealed class ReportOptions
{
    public const string Section = "Reports";

    /// <summary>Directory of report.liquid and texts.*.json. Empty: the copies shipped next to the binary.</summary>
    public string? TemplatesPath { get; set; }

    /// <summary>An answered call counts towards the service level when it waited at most this long.</summary>
    public int ServiceLevelSeconds { get; set; } = 20;

    /// <summary>A callback is within its SLA when resolved by its due time or, without one, within this many hours of the call.</summary>
    public int CallbackSlaHours { get; set; } = 24;

    /// <summary>A department is flagged when abandoned / (answered + abandoned) exceeds this fraction.</summary>
    public double AbandonRateThreshold { get; set; } = 0.10;

    /// <summary>A department is flagged when its average speed of answer exceeds this many seconds.</summary>
    public int AverageWaitThresholdSeconds { get; set; } = 60;

    /// <summary>A department is flagged when more tickets than this missed their due time in the period.</summary>
    public int OverdueTicketsThreshold { get; set; } = 5;

    /// <summary>An IVR node is flagged when this fraction of the calls reaching it hang up or time out there.</summary>
    public double IvrFailureRateThreshold { get; set; } = 0.20;

    /// <summary>Fewer occurrences than this are noise, not a finding.</summary>
    public int MinimumEvidence { get; set; } = 3;

    /// <summary>A caller who calls again within this many days is a repeat caller.</summary>
    public int RepeatCallerDays { get; set; } = 7;

    /// <summary>Ratings at or below this are listed as low.</summary>
    public int LowRating { get; set; } = 2;

    /// <summary>Rows per CSV attachment at most; a larger period is cut and says so.</summary>
    public int MaxCsvRows { get; set; } = 100_000;

    /// <summary>SMTP delivery attempts per report before the run is recorded as failed.</summary>
    public int SendAttempts { get; set; } = 4;

    /// <summary>Wait before the second attempt; each further attempt waits twice as long.</summary>
    public TimeSpan SendRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public string ResolvedTemplatesPath =>
        string.IsNullOrWhiteSpace(TemplatesPath) ? Path.Combine(AppContext.BaseDirectory, "Features", "Reports", "Templates") : TemplatesPath;
}

internal sealed class ReportOptionsValidator : IValidateOptions<ReportOptions>
{
    public ValidateOptionsResult Validate(string? name, ReportOptions options)
    {
        var errors = new List<string>();
        if (!File.Exists(Path.Combine(options.ResolvedTemplatesPath, ReportTemplates.TemplateFile)))
        {
            errors.Add($"Reports:TemplatesPath '{options.ResolvedTemplatesPath}' does not contain {ReportTemplates.TemplateFile}");
        }
        Check(options.ServiceLevelSeconds is >= 1 and <= 3600, "Reports:ServiceLevelSeconds must be between 1 and 3600");
        Check(options.CallbackSlaHours is >= 1 and <= 24 * 31, "Reports:CallbackSlaHours must be between 1 and 744");
        Check(options.AbandonRateThreshold is > 0 and < 1, "Reports:AbandonRateThreshold must be a fraction between 0 and 1");
        Check(options.AverageWaitThresholdSeconds is >= 1 and <= 3600, "Reports:AverageWaitThresholdSeconds must be between 1 and 3600");
        Check(options.OverdueTicketsThreshold >= 0, "Reports:OverdueTicketsThreshold must not be negative");
        Check(options.IvrFailureRateThreshold is > 0 and < 1, "Reports:IvrFailureRateThreshold must be a fraction between 0 and 1");
        Check(options.MinimumEvidence is >= 1 and <= 1000, "Reports:MinimumEvidence must be between 1 and 1000");
        Check(options.RepeatCallerDays is >= 1 and <= 90, "Reports:RepeatCallerDays must be between 1 and 90");
        Check(options.LowRating is >= 1 and <= 4, "Reports:LowRating must be between 1 and 4");
        Check(options.MaxCsvRows is >= 1 and <= 1_000_000, "Reports:MaxCsvRows must be between 1 and 1000000");
        Check(options.SendAttempts is >= 1 and <= 10, "Reports:SendAttempts must be between 1 and 10");
        Check(options.SendRetryDelay >= TimeSpan.Zero && options.SendRetryDelay <= TimeSpan.FromMinutes(10), "Reports:SendRetryDelay must be between 00:00:00 and 00:10:00");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Check(bool valid, string message)
        {
            if (!valid)
            {
                errors.Add(message);
            }
        }
    }
}
