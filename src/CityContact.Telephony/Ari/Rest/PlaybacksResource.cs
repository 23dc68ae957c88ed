using CityContact.Telephony.Ari.Models;
using static CityContact.Telephony.Ari.Rest.AriHttp;

namespace CityContact.Telephony.Ari.Rest;

/// <summary>/ari/playbacks. A finished playback is gone: GET and DELETE then give 404.</summary>
public sealed class PlaybacksResource
{
    private readonly AriHttp _http;

    internal PlaybacksResource(AriHttp http) => _http = http;

    public Task<Playback> GetAsync(string playbackId, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "playbacks/" + Segment(playbackId), null, AriJsonContext.Default.Playback, null, cancellationToken);

    /// <summary><paramref name="operation"/>: <c>restart</c>, <c>pause</c>, <c>unpause</c>, <c>reverse</c> or <c>forward</c>.</summary>
    public Task ControlAsync(string playbackId, string operation, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, "playbacks/" + Segment(playbackId) + "/control", new AriQuery().Add("operation", operation), null, cancellationToken);

    /// <summary>Stops the playback (PlaybackFinished <c>done</c> follows), e.g. on DTMF barge-in.</summary>
    public Task StopAsync(string playbackId, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, "playbacks/" + Segment(playbackId), null, null, cancellationToken);
}
