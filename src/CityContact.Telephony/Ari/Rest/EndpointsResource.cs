using CityContact.Telephony.Ari.Models;
using static CityContact.Telephony.Ari.Rest.AriHttp;

namespace CityContact.Telephony.Ari.Rest;

/// <summary>/ari/endpoints: whether an agent's deskphone is registered (state <c>online</c>/<c>offline</c>).</summary>
public sealed class EndpointsResource
{
    private readonly AriHttp _http;

    internal EndpointsResource(AriHttp http) => _http = http;

    public Task<Endpoint[]> ListAsync(CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "endpoints", null, AriJsonContext.Default.EndpointArray, null, cancellationToken);

    public Task<Endpoint[]> ListByTechAsync(string tech, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "endpoints/" + Segment(tech), null, AriJsonContext.Default.EndpointArray, null, cancellationToken);

    /// <summary>e.g. <c>GetAsync("PJSIP", "agent1")</c>.</summary>
    public Task<Endpoint> GetAsync(string tech, string resource, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "endpoints/" + Segment(tech) + "/" + Segment(resource), null, AriJsonContext.Default.Endpoint, null, cancellationToken);
}

/// <summary>
/// /ari/deviceStates: custom device states (<c>Stasis:…</c>) the app controls. The device name is one
/// escaped path segment: <c>PJSIP/agent1</c> must travel as <c>PJSIP%2Fagent1</c> or Asterisk answers 404.
/// </summary>
public sealed class DeviceStatesResource
{
    private readonly AriHttp _http;

    internal DeviceStatesResource(AriHttp http) => _http = http;

    public Task<DeviceState[]> ListAsync(CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "deviceStates", null, AriJsonContext.Default.DeviceStateArray, null, cancellationToken);

    public Task<DeviceState> GetAsync(string deviceName, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "deviceStates/" + Segment(deviceName), null, AriJsonContext.Default.DeviceState, null, cancellationToken);

    /// <summary><paramref name="state"/>: <c>NOT_INUSE</c>, <c>INUSE</c>, <c>BUSY</c>, <c>INVALID</c>, <c>UNAVAILABLE</c>, <c>RINGING</c>, <c>RINGINUSE</c>, <c>ONHOLD</c>.</summary>
    public Task UpdateAsync(string deviceName, string state, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Put, "deviceStates/" + Segment(deviceName), new AriQuery().Add("deviceState", state), null, cancellationToken);

    public Task DeleteAsync(string deviceName, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, "deviceStates/" + Segment(deviceName), null, null, cancellationToken);
}

/// <summary>/ari/applications: which event sources our app hears beyond its own channels.</summary>
public sealed class ApplicationsResource
{
    private readonly AriHttp _http;

    internal ApplicationsResource(AriHttp http) => _http = http;

    public Task<Application[]> ListAsync(CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "applications", null, AriJsonContext.Default.ApplicationArray, null, cancellationToken);

    public Task<Application> GetAsync(string applicationName, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "applications/" + Segment(applicationName), null, AriJsonContext.Default.Application, null, cancellationToken);

    /// <summary>
    /// Subscribes our app (<see cref="AriOptions.App"/>) to event sources such as <c>endpoint:PJSIP/agent1</c>
    /// or <c>deviceState:PJSIP/agent1</c>.
    /// </summary>
    public Task<Application> SubscribeAsync(IEnumerable<string> eventSources, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, Subscription, new AriQuery().Add("eventSource", string.Join(',', eventSources)),
            AriJsonContext.Default.Application, null, cancellationToken);

    public Task<Application> UnsubscribeAsync(IEnumerable<string> eventSources, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, Subscription, new AriQuery().Add("eventSource", string.Join(',', eventSources)),
            AriJsonContext.Default.Application, null, cancellationToken);

    /// <summary>
    /// Sends our app only these event types from now on (PUT /applications/{app}/eventFilter); an empty list sends all.
    /// Asterisk still builds every event but skips formatting and writing the ones filtered out, and the app skips
    /// parsing them. The filter belongs to the app inside Asterisk and outlives the WebSocket.
    /// </summary>
    public Task<Application> FilterEventsAsync(IEnumerable<string> allowedTypes, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Put, "applications/" + Segment(_http.App) + "/eventFilter", null, AriJsonContext.Default.Application,
            AriHttp.EventFilterBody(allowedTypes), cancellationToken);

    private string Subscription => "applications/" + Segment(_http.App) + "/subscription";
}

/// <summary>/ari/asterisk: who and how Asterisk is; ping to check REST without side effects.</summary>
public sealed class AsteriskResource
{
    private readonly AriHttp _http;

    internal AsteriskResource(AriHttp http) => _http = http;

    /// <summary><paramref name="only"/>: null for all, or <c>build</c>, <c>system</c>, <c>config</c>, <c>status</c> (comma-separated).</summary>
    public Task<AsteriskInfo> GetInfoAsync(string? only, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "asterisk/info", new AriQuery().Add("only", only), AriJsonContext.Default.AsteriskInfo, null, cancellationToken);

    public Task<AsteriskPing> PingAsync(CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "asterisk/ping", null, AriJsonContext.Default.AsteriskPing, null, cancellationToken);
}
