namespace CityContact.Telephony.Ari;

/// <summary>How to reach Asterisk's REST Interface and how hard to hold on to it.</summary>
public sealed class AriOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string Section = "Ari";

    /// <summary>Asterisk's HTTP server, e.g. <c>http://127.0.0.1:8088/</c>; the client appends <c>ari/…</c>.</summary>
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1:8088/");

    public string User { get; set; } = "";

    public string Password { get; set; } = "";

    /// <summary>The Stasis application the dialplan hands calls to.</summary>
    public string App { get; set; } = "citycontact";

    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>WebSocket ping period; a ping unanswered for <see cref="PingTimeout"/> drops the connection.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Upper bound for one REST request and for the WebSocket handshake.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Retries of a request that is safe to repeat (answer, hang-up, play with an id) after a transport failure, such as
    /// the connection Asterisk drops when its HTTP session limit is reached.
    /// </summary>
    public int TransientRetries { get; set; } = 2;

    /// <summary>Wait before the first retry; the n-th retry waits n times this.</summary>
    public TimeSpan TransientRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Events waiting per call before the WebSocket reader waits for that call's handler. A reader held up
    /// for long loses the socket (Asterisk gives up writing after its websocket_write_timeout, and pongs go
    /// unread), after which the stream reconnects and raises Reconnected: keep this far above a call's burst.
    /// </summary>
    public int EventLaneCapacity { get; set; } = 256;

    /// <summary>Throws with one clear message naming the first wrong setting.</summary>
    public void Validate()
    {
        if (!BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttp && BaseUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"Ari:BaseUrl must be an absolute http(s) URL, got '{BaseUrl}'.");
        }
        if (!string.IsNullOrEmpty(BaseUrl.UserInfo) || !string.IsNullOrEmpty(BaseUrl.Query))
        {
            throw new InvalidOperationException("Ari:BaseUrl must carry neither credentials nor a query; set Ari:User and Ari:Password.");
        }
        if (string.IsNullOrWhiteSpace(User) || string.IsNullOrEmpty(Password))
        {
            throw new InvalidOperationException("Ari:User and Ari:Password are required.");
        }
        if (string.IsNullOrWhiteSpace(App) || App.Contains(',', StringComparison.Ordinal))
        {
            throw new InvalidOperationException("Ari:App must be a non-empty Stasis application name without commas.");
        }
        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay)
        {
            throw new InvalidOperationException("Ari:ReconnectMinDelay must be positive and not above Ari:ReconnectMaxDelay.");
        }
        if (PingInterval <= TimeSpan.Zero || PingTimeout <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Ari:PingInterval, Ari:PingTimeout and Ari:RequestTimeout must be positive.");
        }
        if (TransientRetries is < 0 or > 10 || TransientRetryDelay < TimeSpan.Zero || TransientRetryDelay > TimeSpan.FromSeconds(5))
        {
            throw new InvalidOperationException("Ari:TransientRetries must be between 0 and 10 and Ari:TransientRetryDelay between 0 and 5 s.");
        }
        if (EventLaneCapacity < 1)
        {
            throw new InvalidOperationException("Ari:EventLaneCapacity must be at least 1.");
        }
    }

    /// <summary>The base URL with a trailing slash, so that relative <c>ari/…</c> paths append rather than replace.</summary>
    internal Uri Root => BaseUrl.AbsoluteUri.EndsWith('/') ? BaseUrl : new Uri(BaseUrl.AbsoluteUri + "/");

    internal string BasicAuthorization =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{User}:{Password}"));
}
