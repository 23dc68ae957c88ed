using CityContact.Service.Infrastructure.Configuration;

namespace CityContact.Service.Features.Voicemail;

/// <summary>Section <c>Voicemail</c>: how long a message may be and how the caller reviews it.</summary>
public sealed class VoicemailOptions
{
    public const string Section = "Voicemail";

    public int MaxDurationSeconds { get; set; } = 180;

    /// <summary>Silence that ends the message (the caller finished without pressing #).</summary>
    public int MaxSilenceSeconds { get; set; } = 8;

    /// <summary>How many times a caller may record the message again after listening to the review prompt.</summary>
    public int MaxRerecords { get; set; } = 2;

    /// <summary>How long the review prompt waits for 1 (record again) or 2 (keep); no answer keeps the message.</summary>
    public int ReviewTimeoutMs { get; set; } = 5000;

    /// <summary>Stored recordings are named <c>{prefix}{channel}-{attempt}</c> in Asterisk's recordings directory.</summary>
    public string RecordingPrefix { get; set; } = "voicemail-";

    /// <summary>
    /// Asterisk's voicemail spool (<c>/var/spool/asterisk/voicemail</c>), where the dialplan's fallback leaves messages
    /// while the service is down; empty turns the import off.
    /// </summary>
    public string FallbackSpoolDirectory { get; set; } = "";

    /// <summary><c>mailbox@context</c> of the fallback: <c>CITYCONTACT_FALLBACK_MAILBOX</c> in asterisk-config/extensions.conf.</summary>
    public string FallbackMailbox { get; set; } = "9999@citycontact";

    /// <summary>How often the fallback mailbox is read again after the import at start-up.</summary>
    public int FallbackScanSeconds { get; set; } = 60;

    /// <summary>Department whose ticket a fallback message becomes: the default flow's fallback, the operator.</summary>
    public string FallbackDepartmentCode { get; set; } = "operator";

    /// <summary>
    /// Asterisk's stored recordings (<c>astspooldir/recording</c>), which GET /api/tickets/{id}/recording reads through
    /// ARI: an imported message is copied there.
    /// </summary>
    public string RecordingsDirectory { get; set; } = "/var/spool/asterisk/recording";

    /// <summary>The fallback mailbox's directory in the spool, or null when the import is off.</summary>
    public string? FallbackMailboxDirectory() =>
        string.IsNullOrWhiteSpace(FallbackSpoolDirectory) || FallbackMailbox.Split('@') is not [var mailbox, var context]
            ? null
            : Path.Combine(FallbackSpoolDirectory, context, mailbox);
}

public sealed class VoicemailOptionsValidator : IValidateOptions<VoicemailOptions>
{
    public ValidateOptionsResult Validate(string? name, VoicemailOptions options)
    {
        var errors = new List<string>();
        errors.RequireBetween("Voicemail:MaxDurationSeconds", options.MaxDurationSeconds, 5, 3600);
        errors.RequireBetween("Voicemail:MaxSilenceSeconds", options.MaxSilenceSeconds, 1, 60);
        errors.RequireBetween("Voicemail:MaxRerecords", options.MaxRerecords, 0, 5);
        errors.RequireBetween("Voicemail:ReviewTimeoutMs", options.ReviewTimeoutMs, 500, 60_000);
        if (!System.Text.RegularExpressions.Regex.IsMatch(options.RecordingPrefix ?? "", "^[A-Za-z0-9_-]{1,40}$"))
        {
            errors.Add("Voicemail:RecordingPrefix must be 1-40 letters, digits, - or _ (it becomes a file name)");
        }
        if (!string.IsNullOrWhiteSpace(options.FallbackSpoolDirectory))
        {
            if (!Path.IsPathFullyQualified(options.FallbackSpoolDirectory))
            {
                errors.Add($"Voicemail:FallbackSpoolDirectory '{options.FallbackSpoolDirectory}' must be an absolute path (e.g. /var/spool/asterisk/voicemail)");
            }
            if (!System.Text.RegularExpressions.Regex.IsMatch(options.FallbackMailbox ?? "", "^[A-Za-z0-9_-]{1,40}@[A-Za-z0-9_-]{1,40}$"))
            {
                errors.Add("Voicemail:FallbackMailbox must be mailbox@context (letters, digits, - or _), e.g. 9999@citycontact");
            }
            errors.RequireBetween("Voicemail:FallbackScanSeconds", options.FallbackScanSeconds, 1, 86_400);
            if (!System.Text.RegularExpressions.Regex.IsMatch(options.FallbackDepartmentCode ?? "", "^[a-z0-9][a-z0-9_-]{0,31}$"))
            {
                errors.Add("Voicemail:FallbackDepartmentCode must be a department code (lower-case letters, digits, - or _)");
            }
            if (string.IsNullOrWhiteSpace(options.RecordingsDirectory) || !Path.IsPathFullyQualified(options.RecordingsDirectory))
            {
                errors.Add("Voicemail:RecordingsDirectory must be the absolute path of Asterisk's recordings (e.g. /var/spool/asterisk/recording)");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
