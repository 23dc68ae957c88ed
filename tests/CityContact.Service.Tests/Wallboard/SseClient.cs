using System.Text.Json;

namespace CityContact.Service.Tests.Wallboard;

/// <summary>A server-sent events reader over the test server: one event at a time, with its raw data line.</summary>
internal sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<SseClient> OpenAsync(HttpClient client, string path, CancellationToken ct)
    {
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, path), HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new SseClient(response, new StreamReader(await response.Content.ReadAsStreamAsync(ct)));
    }

    public async Task<(string Event, string Data)> NextAsync(CancellationToken ct)
    {
        string? name = null;
        string? data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("The event stream ended.");
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    return (name ?? "message", data);
                }
                continue;
            }
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line["data: ".Length..];
            }
        }
    }

    /// <summary>Reads events until one's data satisfies <paramref name="condition"/>; returns it parsed, with its raw text.</summary>
    public async Task<(JsonElement Data, string Raw)> WaitForAsync(string eventName, Func<JsonElement, bool> condition, CancellationToken ct)
    {
        while (true)
        {
            var (name, raw) = await NextAsync(ct);
            Assert.Equal(eventName, name);
            var data = JsonDocument.Parse(raw).RootElement.Clone();
            if (condition(data))
            {
                return (data, raw);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
