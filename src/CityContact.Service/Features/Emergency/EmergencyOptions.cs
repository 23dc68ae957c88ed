namespace CityContact.Service.Features.Emergency;

/// <summary>Section "Emergency": how members are rung.</summary>
public sealed class EmergencyOptions
{
    public const string Section = "Emergency";

    /// <summary>The caller ID members see when the conference rings them.</summary>
    public string CallerId { get; set; } = "\"City Hall emergency\" <0000>";

    /// <summary>The dial string of an external member's number: {0} is the number (the trunk's endpoint in pjsip.conf).</summary>
    public string ExternalEndpoint { get; set; } = "PJSIP/{0}@trunk";

    /// <summary>The longest the announcement may keep an answered member out of the bridge.</summary>
    public int AnnouncementTimeoutSeconds { get; set; } = 30;
}

public sealed class EmergencyOptionsValidator : IValidateOptions<EmergencyOptions>
{
    public ValidateOptionsResult Validate(string? name, EmergencyOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ExternalEndpoint) || !options.ExternalEndpoint.Contains("{0}", StringComparison.Ordinal))
        {
            errors.Add("Emergency:ExternalEndpoint must be a dial string with {0} for the number, such as PJSIP/{0}@trunk");
        }
        if (options.AnnouncementTimeoutSeconds is < 1 or > 300)
        {
            errors.Add("Emergency:AnnouncementTimeoutSeconds must be between 1 and 300");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
