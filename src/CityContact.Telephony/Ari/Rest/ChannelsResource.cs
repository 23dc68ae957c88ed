using CityContact.Telephony.Ari.Models;
using static CityContact.Telephony.Ari.Rest.AriHttp;

namespace CityContact.Telephony.Ari.Rest;

/// <summary>/ari/channels: call control on one channel.</summary>
public sealed class ChannelsResource
{
    private readonly AriHttp _http;

    internal ChannelsResource(AriHttp http) => _http = http;

    public Task<Channel[]> ListAsync(CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "channels", null, AriJsonContext.Default.ChannelArray, null, cancellationToken);

    /// <summary>
    /// The channels currently in our Stasis app (dialplan application <c>Stasis</c> with our app name as
    /// first argument). Asterisk does not re-send StasisStart after a WebSocket reconnect, so this is how
    /// calls already in progress are found again.
    /// </summary>
    public async Task<IReadOnlyList<Channel>> ListInAppAsync(CancellationToken cancellationToken)
    {
        var channels = await ListAsync(cancellationToken);
        return channels.Where(c => IsInApp(c, _http.App)).ToArray();
    }

    /// <summary>True when the channel's current dialplan step is <c>Stasis(app[,args…])</c>.</summary>
    public static bool IsInApp(Channel channel, string app)
    {
        var dialplan = channel.Dialplan;
        if (dialplan is null || !string.Equals(dialplan.AppName, "Stasis", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var data = dialplan.AppData.AsSpan();
        return data.StartsWith(app, StringComparison.Ordinal) && (data.Length == app.Length || data[app.Length] == ',');
    }

    public Task<Channel> GetAsync(string channelId, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "channels/" + Segment(channelId), null, AriJsonContext.Default.Channel, null, cancellationToken);

    public Task<Channel> OriginateAsync(OriginateRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = new AriQuery()
            .Add("endpoint", request.Endpoint)
            .Add("extension", request.Extension)
            .Add("context", request.Context)
            .Add("priority", request.Priority?.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("label", request.Label)
            .Add("app", request.App ?? (request.Extension is null ? _http.App : null))
            .Add("appArgs", request.AppArgs)
            .Add("callerId", request.CallerId)
            .AddSeconds("timeout", request.Timeout)
            .Add("channelId", request.ChannelId)
            .Add("otherChannelId", request.OtherChannelId)
            .Add("originator", request.Originator)
            .Add("formats", request.Formats);
        return _http.SendAsync(HttpMethod.Post, "channels", query, AriJsonContext.Default.Channel, VariablesBody(request.Variables), cancellationToken);
    }

    public Task<Channel> CreateAsync(CreateChannelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = new AriQuery()
            .Add("endpoint", request.Endpoint)
            .Add("app", request.App ?? _http.App)
            .Add("appArgs", request.AppArgs)
            .Add("channelId", request.ChannelId)
            .Add("otherChannelId", request.OtherChannelId)
            .Add("originator", request.Originator)
            .Add("formats", request.Formats);
        return _http.SendAsync(HttpMethod.Post, "channels/create", query, AriJsonContext.Default.Channel, VariablesBody(request.Variables), cancellationToken);
    }

    /// <summary>Dials a channel made by <see cref="CreateAsync"/>.</summary>
    public Task DialAsync(string channelId, string? caller, TimeSpan? timeout, CancellationToken cancellationToken) =>
        Post(channelId, "/dial", new AriQuery().Add("caller", caller).AddSeconds("timeout", timeout), cancellationToken);

    /// <summary>Answers; a transport failure is retried (answering an answered channel changes nothing).</summary>
    public Task AnswerAsync(string channelId, CancellationToken cancellationToken) =>
        _http.SendRetryingAsync(HttpMethod.Post, "channels/" + Segment(channelId) + "/answer", null, cancellationToken);

    /// <summary>
    /// Hangs up; <paramref name="reason"/> is one of <see cref="HangupReasons"/>, or null for Asterisk's default. A transport
    /// failure is retried (a second hang-up finds the channel gone: 404).
    /// </summary>
    public Task HangupAsync(string channelId, string? reason, CancellationToken cancellationToken) =>
        _http.SendRetryingAsync(HttpMethod.Delete, "channels/" + Segment(channelId), new AriQuery().Add("reason", reason), cancellationToken);

    public Task RingAsync(string channelId, CancellationToken cancellationToken) =>
        Post(channelId, "/ring", null, cancellationToken);

    public Task RingStopAsync(string channelId, CancellationToken cancellationToken) =>
        Delete(channelId, "/ring", null, cancellationToken);

    /// <summary>Plays media (<c>sound:…</c>, <c>recording:…</c>, <c>tone:…</c>; comma-separated for a list).</summary>
    public Task<Playback> PlayAsync(string channelId, string media, string? lang, string? playbackId, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, "channels/" + Segment(channelId) + "/play",
            new AriQuery().Add("media", media).Add("lang", lang).Add("playbackId", playbackId),
            AriJsonContext.Default.Playback, null, cancellationToken);

    /// <summary>Plays under our own playback id; a transport failure is retried (the prompt is at worst started again from its beginning).</summary>
    public Task<Playback> PlayWithIdAsync(string channelId, string playbackId, string media, string? lang, CancellationToken cancellationToken) =>
        _http.SendRetryingAsync(HttpMethod.Post, "channels/" + Segment(channelId) + "/play/" + Segment(playbackId),
            new AriQuery().Add("media", media).Add("lang", lang), AriJsonContext.Default.Playback, cancellationToken);

    public Task<LiveRecording> RecordAsync(string channelId, RecordRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _http.SendAsync(HttpMethod.Post, "channels/" + Segment(channelId) + "/record", RecordQuery(request),
            AriJsonContext.Default.LiveRecording, null, cancellationToken);
    }

    internal static AriQuery RecordQuery(RecordRequest request) => new AriQuery()
        .Add("name", request.Name)
        .Add("format", request.Format)
        .AddSeconds("maxDurationSeconds", request.MaxDuration)
        .AddSeconds("maxSilenceSeconds", request.MaxSilence)
        .Add("ifExists", request.IfExists)
        .Add("beep", request.Beep)
        .Add("terminateOn", request.TerminateOn);

    /// <summary>Sends DTMF digits (0-9, *, #, A-D, and ',' for a pause).</summary>
    public Task SendDtmfAsync(string channelId, string dtmf, TimeSpan? between, TimeSpan? duration, CancellationToken cancellationToken) =>
        Post(channelId, "/dtmf", new AriQuery().Add("dtmf", dtmf).AddMilliseconds("between", between).AddMilliseconds("duration", duration), cancellationToken);

    /// <summary>A variable or function value (<c>CALLERID(num)</c>); 404 <see cref="AriNotFoundException"/> when unset.</summary>
    public async Task<string> GetVariableAsync(string channelId, string variable, CancellationToken cancellationToken)
    {
        var result = await _http.SendAsync(HttpMethod.Get, "channels/" + Segment(channelId) + "/variable",
            new AriQuery().Add("variable", variable), AriJsonContext.Default.Variable, null, cancellationToken);
        return result.Value;
    }

    /// <summary>Sets (or with a null value, unsets) a variable or function.</summary>
    public Task SetVariableAsync(string channelId, string variable, string? value, CancellationToken cancellationToken) =>
        Post(channelId, "/variable", new AriQuery().Add("variable", variable).Add("value", value), cancellationToken);

    /// <summary>Leaves Stasis and goes on in the dialplan (the given location, or the next priority).</summary>
    public Task ContinueAsync(string channelId, string? context, string? extension, int? priority, string? label, CancellationToken cancellationToken) =>
        Post(channelId, "/continue", new AriQuery().Add("context", context).Add("extension", extension).Add("priority", priority).Add("label", label), cancellationToken);

    /// <summary>Moves the channel to another Stasis app.</summary>
    public Task MoveAsync(string channelId, string app, string? appArgs, CancellationToken cancellationToken) =>
        Post(channelId, "/move", new AriQuery().Add("app", app).Add("appArgs", appArgs), cancellationToken);

    public Task<Channel> SnoopAsync(string channelId, SnoopRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = new AriQuery()
            .Add("spy", request.Spy)
            .Add("whisper", request.Whisper)
            .Add("app", request.App ?? _http.App)
            .Add("appArgs", request.AppArgs)
            .Add("snoopId", request.SnoopId);
        return _http.SendAsync(HttpMethod.Post, "channels/" + Segment(channelId) + "/snoop", query, AriJsonContext.Default.Channel, null, cancellationToken);
    }

    /// <summary><paramref name="direction"/>: <c>both</c>, <c>in</c> or <c>out</c>.</summary>
    public Task MuteAsync(string channelId, string direction, CancellationToken cancellationToken) =>
        Post(channelId, "/mute", new AriQuery().Add("direction", direction), cancellationToken);

    public Task UnmuteAsync(string channelId, string direction, CancellationToken cancellationToken) =>
        Delete(channelId, "/mute", new AriQuery().Add("direction", direction), cancellationToken);

    public Task HoldAsync(string channelId, CancellationToken cancellationToken) =>
        Post(channelId, "/hold", null, cancellationToken);

    public Task UnholdAsync(string channelId, CancellationToken cancellationToken) =>
        Delete(channelId, "/hold", null, cancellationToken);

    public Task StartMohAsync(string channelId, string? mohClass, CancellationToken cancellationToken) =>
        Post(channelId, "/moh", new AriQuery().Add("mohClass", mohClass), cancellationToken);

    public Task StopMohAsync(string channelId, CancellationToken cancellationToken) =>
        Delete(channelId, "/moh", null, cancellationToken);

    private Task Post(string channelId, string action, AriQuery? query, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, "channels/" + Segment(channelId) + action, query, null, cancellationToken);

    private Task Delete(string channelId, string action, AriQuery? query, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, "channels/" + Segment(channelId) + action, query, null, cancellationToken);
}
