using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Xunit;

namespace CityContact.Simulator.Tests.StateMachine;

/// <summary>A deliberately tiny ARI app for the simulator's own tests: HttpClient + ClientWebSocket, events as JsonElements.</summary>
internal sealed class RawAriClient : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly ClientWebSocket _socket = new();
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private Task _receive = Task.CompletedTask;

    private RawAriClient(AsteriskSimulator sim)
    {
        Http = new HttpClient { BaseAddress = new Uri(sim.AriBaseUrl, "ari/") };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("cc:cc"u8.ToArray()));
        _socket.Options.SetRequestHeader("Authorization", "Basic " + Convert.ToBase64String("cc:cc"u8.ToArray()));
    }

    public HttpClient Http { get; }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public static async Task<RawAriClient> ConnectAsync(AsteriskSimulator sim, string app = "citycontact")
    {
        var client = new RawAriClient(sim);
        var ws = new UriBuilder(sim.AriBaseUrl) { Scheme = "ws", Path = "ari/events", Query = $"app={app}" }.Uri;
        await client._socket.ConnectAsync(ws, CancellationToken.None);
        client._receive = client.ReceiveAsync();
        await sim.WaitUntilAsync(s => s.ConnectedApplications.Contains(app)).WaitAsync(Wait);
        return client;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (await WebSocketMessages.ReceiveAsync(_socket, buffer, CancellationToken.None) is { } message)
            {
                _events.Writer.TryWrite(JsonDocument.Parse(message).RootElement.Clone());
            }
        }
        catch (WebSocketException)
        {
            // Closed under us: the test sees the channel complete.
        }
        _events.Writer.TryComplete();
    }

    /// <summary>The next event, which must be of <paramref name="type"/>.</summary>
    public async Task<JsonElement> NextAsync(string type)
    {
        var next = await _events.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(type, next.GetProperty("type").GetString());
        return next;
    }

    /// <summary>The types of the next <paramref name="count"/> events.</summary>
    public async Task<string[]> NextTypesAsync(int count)
    {
        var types = new string[count];
        for (var i = 0; i < count; i++)
        {
            types[i] = (await _events.Reader.ReadAsync().AsTask().WaitAsync(Wait)).GetProperty("type").GetString()!;
        }
        return types;
    }

    public async Task WaitClosedAsync() => await _receive.WaitAsync(Wait);

    public bool HasPendingEvent => _events.Reader.TryPeek(out _);

    public async Task<(int Status, string Reason, JsonElement? Body)> SendAsync(HttpMethod method, string path)
    {
        using var response = await Http.SendAsync(new HttpRequestMessage(method, path));
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.ReasonPhrase ?? "", text.Length > 0 && text[0] is '{' or '[' ? JsonDocument.Parse(text).RootElement.Clone() : null);
    }

    public Task<(int Status, string Reason, JsonElement? Body)> PostAsync(string path) => SendAsync(HttpMethod.Post, path);

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            // CloseOutputAsync, not CloseAsync: the receive loop is still reading, and CloseAsync would read concurrently
            // with it (one of the two then sees the server's close frame, the other a closed connection).
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            await _receive.WaitAsync(Wait);
        }
        _socket.Dispose();
        Http.Dispose();
    }
}
