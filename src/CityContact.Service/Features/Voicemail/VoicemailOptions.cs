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
}

public sealed class VoicemailOptionsValidator : IValidateOptions<VoicemailOptions>
{
    public ValidateOptionsResult Validate(string? name, VoicemailOptions options)
    {
        var errors = new List<string>();
        if (options.MaxDurationSeconds is < 5 or > 3600)
        {
            errors.Add("Voicemail:MaxDurationSeconds must be between 5 and 3600");
        }
        if (options.MaxSilenceSeconds is < 1 or > 60)
        {
            errors.Add("Voicemail:MaxSilenceSeconds must be between 1 and 60");
        }
        if (options.MaxRerecords is < 0 or > 5)
        {
            errors.Add("Voicemail:MaxRerecords must be between 0 and 5");
        }
        if (options.ReviewTimeoutMs is < 500 or > 60_000)
        {
            errors.Add("Voicemail:ReviewTimeoutMs must be between 500 and 60000");
        }
        if (!System.Text.RegularExpressions.Regex.IsMatch(options.RecordingPrefix ?? "", "^[A-Za-z0-9_-]{1,40}$"))
        {
            errors.Add("Voicemail:RecordingPrefix must be 1-40 letters, digits, - or _ (it becomes a file name)");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
