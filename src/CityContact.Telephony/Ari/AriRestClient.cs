using CityContact.Telephony.Ari.Rest;

namespace CityContact.Telephony.Ari;

/// <summary>
/// Asterisk's REST Interface, grouped by resource as in the schema (<c>Channels.AnswerAsync(id, ct)</c>).
/// Errors arrive as <see cref="AriException"/> subclasses; a 404 on a just-hung-up channel is an
/// <see cref="AriNotFoundException"/> that callers may ignore with <see cref="AriNotFoundExtensions.IgnoreNotFound(Task)"/>.
/// </summary>
public sealed class AriRestClient
{
    /// <param name="http">Shared and owned by the caller (e.g. from IHttpClientFactory); no base address needed.</param>
    public AriRestClient(HttpClient http, AriOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        var ari = new AriHttp(http, options);
        Channels = new ChannelsResource(ari);
        Bridges = new BridgesResource(ari);
        Playbacks = new PlaybacksResource(ari);
        Recordings = new RecordingsResource(ari);
        Endpoints = new EndpointsResource(ari);
        DeviceStates = new DeviceStatesResource(ari);
        Applications = new ApplicationsResource(ari);
        Asterisk = new AsteriskResource(ari);
    }

    public ChannelsResource Channels { get; }

    public BridgesResource Bridges { get; }

    public PlaybacksResource Playbacks { get; }

    public RecordingsResource Recordings { get; }

    public EndpointsResource Endpoints { get; }

    public DeviceStatesResource DeviceStates { get; }

    public ApplicationsResource Applications { get; }

    public AsteriskResource Asterisk { get; }
}
