using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace CityContact.Simulator.Tests.Traffic;

/// <summary>
/// A small Stasis application over real sockets (HttpClient + ClientWebSocket) standing in for the service: each
/// channel that enters Stasis runs <c>flow</c> on its own task, reading its own events in order.
/// </summary>
internal sealed class FakeStasisApp : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<string, FakeCall> _calls = new(StringComparer.Ordinal);
    private readonly Func<FakeCall, Task> _flow;
    private readonly ConcurrentBag<Exception> _failures = [];
    private readonly List<Task> _flows = [];
    private readonly ConcurrentQueue<FakeCall> _started = new();
    private Task _receive = Task.CompletedTask;

    private FakeStasisApp(AsteriskSimulator sim, Func<FakeCall, Task> flow)
    {
        _flow = flow;
        var auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("cc:cc"u8.ToArray()));
        Http = new HttpClient { BaseAddress = new Uri(sim.AriBaseUrl, "ari/") };
        Http.DefaultRequestHeaders.Authorization = auth;
        _socket.Options.SetRequestHeader("Authorization", auth.ToString());
    }

    public HttpClient Http { get; }

    /// <summary>The calls that entered Stasis, in the order of their StasisStart events.</summary>
    public IReadOnlyCollection<FakeCall> Started => _started;

    /// <summary>Exceptions thrown by flows (a test asserts this is empty).</summary>
    public IReadOnlyCollection<Exception> Failures => _failures;

    public static async Task<FakeStasisApp> StartAsync(AsteriskSimulator sim, Func<FakeCall, Task> flow)
    {
        var app = new FakeStasisApp(sim, flow);
        var events = new UriBuilder(sim.AriBaseUrl) { Scheme = "ws", Path = "ari/events", Query = "app=citycontact" }.Uri;
        await app._socket.ConnectAsync(events, CancellationToken.None);
        app._receive = app.ReceiveAsync();
        await sim.WaitUntilAsync(s => s.ConnectedApplications.Contains("citycontact")).WaitAsync(TimeSpan.FromSeconds(10));
        return app;
    }

    public async Task<JsonElement?> SendAsync(HttpMethod method, string pathAndQuery)
    {
        using var response = await Http.SendAsync(new HttpRequestMessage(method, pathAndQuery));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{method} {pathAndQuery}: {(int)response.StatusCode} {text}");
        }
        try
        {
            return text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{method} {pathAndQuery}: {(int)response.StatusCode} with a body that is not JSON: '{text}'", e);
        }
    }

    /// <summary>The call of channel <paramref name="channelId"/> (created on its first event).</summary>
    public FakeCall Call(string channelId) => _calls.GetOrAdd(channelId, id => new FakeCall(this, id));

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (await WebSocketMessages.ReceiveAsync(_socket, buffer, CancellationToken.None) is { } message)
            {
                var text = System.Text.Encoding.UTF8.GetString(message);
                try
                {
                    Route(JsonDocument.Parse(text).RootElement.Clone());
                }
                catch (JsonException e)
                {
                    _failures.Add(new InvalidOperationException($"event that is not JSON: '{text}'", e));
                }
            }
        }
        catch (WebSocketException)
        {
            // The simulator went away: the test is over.
        }
    }

    private void Route(JsonElement ev)
    {
        var channelId = ChannelIdOf(ev);
        if (channelId is null)
        {
            return;
        }
        var call = Call(channelId);
        call.Inbox.Writer.TryWrite(ev);
        if (ev.GetProperty("type").GetString() == "StasisStart" && call.TryStart(ev))
        {
            _started.Enqueue(call);
            lock (_flows)
            {
                _flows.Add(Task.Run(async () =>
                {
                    try
                    {
                        await _flow(call);
                    }
                    catch (HttpRequestException e) when (e.Message.Contains("Channel not found", StringComparison.Ordinal))
                    {
                        // The caller hung up meanwhile, as real callers do.
                    }
                    catch (Exception e)
                    {
                        _failures.Add(e);
                    }
                }));
            }
        }
    }

    private static string? ChannelIdOf(JsonElement ev)
    {
        if (ev.TryGetProperty("channel", out var channel))
        {
            return channel.GetProperty("id").GetString();
        }
        if (ev.TryGetProperty("peer", out var peer))
        {
            return peer.GetProperty("id").GetString();
        }
        foreach (var resource in (string[])["playback", "recording"])
        {
            if (ev.TryGetProperty(resource, out var r) && r.GetProperty("target_uri").GetString() is { } target && target.StartsWith("channel:", StringComparison.Ordinal))
            {
                return target["channel:".Length..];
            }
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
            // The simulator closed first.
        }
        await _receive.WaitAsync(TimeSpan.FromSeconds(5));
        foreach (var call in _calls.Values)
        {
            call.Inbox.Writer.TryComplete();
        }
        Task[] flows;
        lock (_flows)
        {
            flows = [.. _flows];
        }
        await Task.WhenAll(flows).WaitAsync(TimeSpan.FromSeconds(5));
        _socket.Dispose();
        Http.Dispose();
    }
}

/// <summary>One channel as the fake app sees it.</summary>
internal sealed class FakeCall(FakeStasisApp app, string channelId)
{
    private int _started;

    public string ChannelId { get; } = channelId;

    public Channel<JsonElement> Inbox { get; } = Channel.CreateUnbounded<JsonElement>();

    public JsonElement Start { get; private set; }

    public IReadOnlyList<string> Args => [.. Start.GetProperty("args").EnumerateArray().Select(a => a.GetString()!)];

    public string CallerNumber => Start.GetProperty("channel").GetProperty("caller").GetProperty("number").GetString()!;

    public bool TryStart(JsonElement start)
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return false;
        }
        Start = start;
        return true;
    }

    public Task<JsonElement?> PostAsync(string pathAndQuery) => app.SendAsync(HttpMethod.Post, pathAndQuery);

    public Task AnswerAsync() => PostAsync($"channels/{ChannelId}/answer");

    public Task PlayAsync(string media) => PostAsync($"channels/{ChannelId}/play?media={Uri.EscapeDataString(media)}");

    public Task HangUpAsync() => app.SendAsync(HttpMethod.Delete, $"channels/{ChannelId}");

    /// <summary>The next event of one of <paramref name="types"/> on this channel (others are skipped); null once the channel left Stasis.</summary>
    public async Task<JsonElement?> NextAsync(params string[] types)
    {
        while (await Inbox.Reader.WaitToReadAsync())
        {
            var ev = await Inbox.Reader.ReadAsync();
            var type = ev.GetProperty("type").GetString()!;
            if (types.Contains(type))
            {
                return ev;
            }
            if (type == "StasisEnd")
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>The simulator's (virtual) time an event was stamped with.</summary>
    public static DateTimeOffset TimeOf(JsonElement ev)
    {
        var text = ev.GetProperty("timestamp").GetString()!; // Asterisk writes the offset as +0000
        return DateTimeOffset.ParseExact(text.Insert(text.Length - 2, ":"), "yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
    }
}
