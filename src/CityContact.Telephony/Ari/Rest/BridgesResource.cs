using CityContact.Telephony.Ari.Models;
using static CityContact.Telephony.Ari.Rest.AriHttp;

namespace CityContact.Telephony.Ari.Rest;

/// <summary>/ari/bridges: holding bridges for queues, mixing bridges for conversations.</summary>
public sealed class BridgesResource
{
    private readonly AriHttp _http;

    internal BridgesResource(AriHttp http) => _http = http;

    public Task<Bridge[]> ListAsync(CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "bridges", null, AriJsonContext.Default.BridgeArray, null, cancellationToken);

    public Task<Bridge> GetAsync(string bridgeId, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "bridges/" + Segment(bridgeId), null, AriJsonContext.Default.Bridge, null, cancellationToken);

    /// <summary>Creates a bridge; <paramref name="type"/> is one of <see cref="BridgeTypes"/>.</summary>
    public Task<Bridge> CreateAsync(string type, string? bridgeId, string? name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, "bridges", new AriQuery().Add("type", type).Add("bridgeId", bridgeId).Add("name", name),
            AriJsonContext.Default.Bridge, null, cancellationToken);

    public Task DestroyAsync(string bridgeId, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, "bridges/" + Segment(bridgeId), null, null, cancellationToken);

    /// <summary>Adds a channel; <paramref name="role"/> (e.g. <c>announcer</c> in a holding bridge) may be null.</summary>
    public Task AddChannelAsync(string bridgeId, string channelId, string? role, CancellationToken cancellationToken) =>
        AddChannelsAsync(bridgeId, [channelId], role, cancellationToken);

    /// <summary>Adds several channels in one request (ARI takes them comma-separated).</summary>
    public Task AddChannelsAsync(string bridgeId, IEnumerable<string> channelIds, string? role, CancellationToken cancellationToken) =>
        Post(bridgeId, "/addChannel", new AriQuery().Add("channel", string.Join(',', channelIds)).Add("role", role), cancellationToken);

    public Task RemoveChannelAsync(string bridgeId, string channelId, CancellationToken cancellationToken) =>
        Post(bridgeId, "/removeChannel", new AriQuery().Add("channel", channelId), cancellationToken);

    /// <summary>Plays to everyone in the bridge. Asterisk accepts it while MOH is on but the playback then fails.</summary>
    public Task<Playback> PlayAsync(string bridgeId, string media, string? lang, string? playbackId, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, "bridges/" + Segment(bridgeId) + "/play",
            new AriQuery().Add("media", media).Add("lang", lang).Add("playbackId", playbackId),
            AriJsonContext.Default.Playback, null, cancellationToken);

    public Task<Playback> PlayWithIdAsync(string bridgeId, string playbackId, string media, string? lang, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, "bridges/" + Segment(bridgeId) + "/play/" + Segment(playbackId),
            new AriQuery().Add("media", media).Add("lang", lang), AriJsonContext.Default.Playback, null, cancellationToken);

    public Task<LiveRecording> RecordAsync(string bridgeId, RecordRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _http.SendAsync(HttpMethod.Post, "bridges/" + Segment(bridgeId) + "/record", ChannelsResource.RecordQuery(request),
            AriJsonContext.Default.LiveRecording, null, cancellationToken);
    }

    public Task StartMohAsync(string bridgeId, string? mohClass, CancellationToken cancellationToken) =>
        Post(bridgeId, "/moh", new AriQuery().Add("mohClass", mohClass), cancellationToken);

    public Task StopMohAsync(string bridgeId, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, "bridges/" + Segment(bridgeId) + "/moh", null, null, cancellationToken);

    private Task Post(string bridgeId, string action, AriQuery query, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, "bridges/" + Segment(bridgeId) + action, query, null, cancellationToken);
}
