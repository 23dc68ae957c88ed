namespace CityContact.Telephony.Ami;

/// <summary>Configuration section <c>Ami</c>: where Asterisk's manager interface is and how patient to be with it.</summary>
public sealed class AmiOptions
{
    public const string SectionName = "Ami";

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 5038;

    public string User { get; set; } = "";

    public string Secret { get; set; } = "";

    /// <summary>Log in with <c>Action: Challenge</c> + MD5 <c>Key</c> so the secret never crosses the socket.</summary>
    public bool UseMd5Challenge { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an action waits for its response (and, for lists, for the <c>…Complete</c> event).</summary>
    public TimeSpan ActionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After this long without any frame from Asterisk a <c>Ping</c> is sent.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A Ping unanswered for this long marks the connection dead; it is dropped and re-established.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Unsolicited events held for a slow consumer; beyond this the oldest are dropped and counted.</summary>
    public int EventBufferCapacity { get; set; } = 10_000;

    public int MaxFrameBytes { get; set; } = AmiFrameDecoder.DefaultMaxFrameBytes;

    /// <summary>Every problem with these settings, each naming its key; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Host))
        {
            errors.Add("Ami:Host is required.");
        }
        if (Port is < 1 or > 65535)
        {
            errors.Add("Ami:Port must be between 1 and 65535.");
        }
        if (string.IsNullOrWhiteSpace(User))
        {
            errors.Add("Ami:User is required.");
        }
        if (string.IsNullOrEmpty(Secret))
        {
            errors.Add("Ami:Secret is required.");
        }
        foreach (var (name, value) in new[]
                 {
                     ("ConnectTimeout", ConnectTimeout), ("ActionTimeout", ActionTimeout), ("PingInterval", PingInterval),
                     ("PingTimeout", PingTimeout), ("ReconnectInitialDelay", ReconnectInitialDelay), ("ReconnectMaxDelay", ReconnectMaxDelay),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"Ami:{name} must be positive.");
            }
        }
        if (ReconnectMaxDelay < ReconnectInitialDelay)
        {
            errors.Add("Ami:ReconnectMaxDelay must not be shorter than Ami:ReconnectInitialDelay.");
        }
        if (EventBufferCapacity < 1)
        {
            errors.Add("Ami:EventBufferCapacity must be at least 1.");
        }
        if (MaxFrameBytes < 1024)
        {
            errors.Add("Ami:MaxFrameBytes must be at least 1024.");
        }
        return errors;
    }
}
