using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using CityContact.Simulator;

namespace CityContact.Benchmarks.Simulator;

/// <summary>
/// The least a Stasis app does with a call, over real sockets: on StasisStart it answers and starts one long prompt.
/// It keeps no per-call state, so the memory measured per call is the simulator's (plus the sockets').
/// </summary>
internal sealed class AnsweringStasisApp : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();
    private Task _receive = Task.CompletedTask;
    private long _playbacksStarted;
    private long _failures;

    private AnsweringStasisApp(AsteriskSimulator sim)
    {
        var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("cc:cc"u8.ToArray()));
        // A bounded connection pool, as a service would have: requests queue instead of opening thousands of sockets.
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = new Uri(sim.AriBaseUrl, "ari/") };
        _http.DefaultRequestHeaders.Authorization = auth;
        _socket.Options.SetRequestHeader("Authorization", auth.ToString());
    }

    public long PlaybacksStarted => Interlocked.Read(ref _playbacksStarted);

    public long Failures => Interlocked.Read(ref _failures);

    public static async Task<AnsweringStasisApp> StartAsync(AsteriskSimulator sim, CancellationToken ct)
    {
        var app = new AnsweringStasisApp(sim);
        await app._socket.ConnectAsync(new UriBuilder(sim.AriBaseUrl) { Scheme = "ws", Path = "ari/events", Query = "app=citycontact" }.Uri, ct);
        app._receive = app.ReceiveAsync(app._stopping.Token);
        await sim.WaitUntilAsync(s => s.ConnectedApplications.Contains("citycontact"), ct);
        return app;
    }

    private async Task ReceiveAsync(CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                message.SetLength(0);
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(), ct);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                using var ev = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length));
                switch (ev.RootElement.GetProperty("type").GetString())
                {
                    case "StasisStart":
                        _ = AnswerAndPlayAsync(ev.RootElement.GetProperty("channel").GetProperty("id").GetString()!, ct);
                        break;
                    case "PlaybackStarted":
                        Interlocked.Increment(ref _playbacksStarted);
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // Stopped.
        }
    }

    private async Task AnswerAndPlayAsync(string channelId, CancellationToken ct)
    {
        try
        {
            using var answer = await _http.PostAsync($"channels/{channelId}/answer", null, ct);
            using var play = await _http.PostAsync($"channels/{channelId}/play?media=sound:long-prompt", null, ct);
            if (answer.StatusCode != HttpStatusCode.NoContent || play.StatusCode != HttpStatusCode.Created)
            {
                Interlocked.Increment(ref _failures);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _receive;
        _socket.Dispose();
        _http.Dispose();
        _stopping.Dispose();
    }
}
