using CityContact.Telephony.Ari.Models;
using static CityContact.Telephony.Ari.Rest.AriHttp;

namespace CityContact.Telephony.Ari.Rest;

/// <summary>/ari/recordings: live recordings being made and stored ones on Asterisk's disk.</summary>
public sealed class RecordingsResource
{
    private readonly AriHttp _http;

    internal RecordingsResource(AriHttp http) => _http = http;

    public Task<LiveRecording> GetLiveAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, Live(name), null, AriJsonContext.Default.LiveRecording, null, cancellationToken);

    /// <summary>Stops and keeps the recording.</summary>
    public Task StopLiveAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, Live(name) + "/stop", null, null, cancellationToken);

    /// <summary>Stops and discards the recording.</summary>
    public Task CancelLiveAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, Live(name), null, null, cancellationToken);

    public Task PauseLiveAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, Live(name) + "/pause", null, null, cancellationToken);

    public Task UnpauseLiveAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, Live(name) + "/pause", null, null, cancellationToken);

    public Task MuteLiveAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, Live(name) + "/mute", null, null, cancellationToken);

    public Task UnmuteLiveAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, Live(name) + "/mute", null, null, cancellationToken);

    public Task<StoredRecording[]> ListStoredAsync(CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, "recordings/stored", null, AriJsonContext.Default.StoredRecordingArray, null, cancellationToken);

    public Task<StoredRecording> GetStoredAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Get, Stored(name), null, AriJsonContext.Default.StoredRecording, null, cancellationToken);

    public Task<StoredRecording> CopyStoredAsync(string name, string destinationName, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Post, Stored(name) + "/copy", new AriQuery().Add("destinationRecordingName", destinationName),
            AriJsonContext.Default.StoredRecording, null, cancellationToken);

    public Task DeleteStoredAsync(string name, CancellationToken cancellationToken) =>
        _http.SendAsync(HttpMethod.Delete, Stored(name), null, null, cancellationToken);

    /// <summary>Streams the recording's file (e.g. <c>audio/wav</c>) without buffering it; dispose the result.</summary>
    public async Task<AriFileDownload> OpenStoredFileAsync(string name, CancellationToken cancellationToken)
    {
        var response = await _http.SendStreamingAsync(HttpMethod.Get, Stored(name) + "/file", cancellationToken);
        try
        {
            var content = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new AriFileDownload(response, content);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task<byte[]> GetStoredFileBytesAsync(string name, CancellationToken cancellationToken)
    {
        await using var download = await OpenStoredFileAsync(name, cancellationToken);
        using var buffer = new MemoryStream();
        await download.Content.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    // Stored names may contain a sub-directory ("voicemail/123"), which ARI expects as one escaped segment.
    private static string Stored(string name) => "recordings/stored/" + Segment(name);

    private static string Live(string name) => "recordings/live/" + Segment(name);
}

/// <summary>A recording file being downloaded: its bytes and what Asterisk says they are.</summary>
public sealed class AriFileDownload(HttpResponseMessage response, Stream content) : IAsyncDisposable
{
    public Stream Content { get; } = content;

    public string? ContentType => response.Content.Headers.ContentType?.MediaType;

    public long? Length => response.Content.Headers.ContentLength;

    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync();
        response.Dispose();
    }
}
