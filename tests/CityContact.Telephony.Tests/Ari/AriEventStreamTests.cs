using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using Xunit;

namespace CityContact.Telephony.Tests.Ari;

public sealed class AriEventStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static AriOptions Options(Uri baseUrl) => new()
    {
        BaseUrl = baseUrl,
        User = "cc",
        Password = "cc",
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(800),
        PingInterval = TimeSpan.FromMilliseconds(200),
        PingTimeout = TimeSpan.FromMilliseconds(400),
        RequestTimeout = TimeSpan.FromSeconds(5),
    };

    private static AriEventStream Stream(AriOptions options)
    {
        var parser = new AriEventParser(new ListLogger<AriEventParser>());
        return new AriEventStream(options, parser, new ListLogger<AriEventStream>());
    }

    [Fact]
    public async Task Events_arrive_typed_and_in_order_over_a_socket_opened_with_the_authorization_header()
    {
        var frames = Transcripts.EventFrames().Where(f => f.File == "ari-inbound-play-app-hangup.json").Select(f => f.Raw).ToList();
        await using var server = await RecordedAsteriskServer.StartAsync();
        server.OnEvents = async (socket, ct) =>
        {
            foreach (var frame in frames)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, ct);
            }
            await Task.Delay(Timeout.Infinite, ct);
        };
        var received = new ConcurrentQueue<AriMessage>();
        var stream = Stream(Options(server.BaseUrl));
        using var stop = new CancellationTokenSource();

        var run = stream.RunAsync((m, _) => { received.Enqueue(m); return ValueTask.CompletedTask; }, stop.Token);
        await Eventually.TrueAsync(() => received.Count == frames.Count, Patience);
        stop.Cancel();
        await run.WaitAsync(Patience);

        Assert.Equal(frames.Select(f => System.Text.Json.JsonDocument.Parse(f).RootElement.GetProperty("type").GetString()), received.Select(m => m.Type));
        Assert.IsType<StasisStart>(received.First());
        var upgrade = Assert.Single(server.Requests);
        Assert.Equal("/ari/events?app=citycontact&subscribeAll=false", upgrade.RawTarget);
        Assert.Equal("Basic Y2M6Y2M=", upgrade.Authorization);
        Assert.Equal(AriConnectionState.Disconnected, stream.State);
    }

    [Fact]
    public async Task An_event_Asterisk_sends_twice_is_handed_over_once()
    {
        // As a real Asterisk 22 does for an app subscribed to endpoint:PJSIP: each channel event of a Stasis channel
        // arrives a second time, byte for byte, a frame or two later.
        var frames = Transcripts.EventFrames().Where(f => f.File == "ari-dtmf-barge-in.json").Select(f => f.Raw).ToList();
        await using var server = await RecordedAsteriskServer.StartAsync();
        server.OnEvents = async (socket, ct) =>
        {
            for (var i = 0; i < frames.Count; i++)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(frames[i]), WebSocketMessageType.Text, true, ct);
                if (i > 0)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(frames[i - 1]), WebSocketMessageType.Text, true, ct);
                }
            }
            await Task.Delay(Timeout.Infinite, ct);
        };
        var received = new ConcurrentQueue<AriMessage>();
        var stream = Stream(Options(server.BaseUrl));
        using var stop = new CancellationTokenSource();

        var run = stream.RunAsync((m, _) => { received.Enqueue(m); return ValueTask.CompletedTask; }, stop.Token);
        await Eventually.TrueAsync(() => stream.RepeatedFrames == frames.Count - 1, Patience);
        stop.Cancel();
        await run.WaitAsync(Patience);

        Assert.Equal(frames.Select(f => System.Text.Json.JsonDocument.Parse(f).RootElement.GetProperty("type").GetString()), received.Select(m => m.Type));
        Assert.Equal(frames.Count(f => f.Contains("\"ChannelDtmfReceived\"", StringComparison.Ordinal)), received.OfType<ChannelDtmfReceived>().Count());
    }

    [Fact]
    public async Task Fragmented_frames_are_reassembled_and_a_malformed_frame_is_skipped()
    {
        var stasisStart = Transcripts.EventFrames().First(f => f.Type == "StasisStart").Raw;
        var stasisEnd = Transcripts.EventFrames().First(f => f.Type == "StasisEnd").Raw;
        await using var server = await RecordedAsteriskServer.StartAsync();
        server.OnEvents = async (socket, ct) =>
        {
            var bytes = Encoding.UTF8.GetBytes(stasisStart);
            for (var offset = 0; offset < bytes.Length; offset += 37)
            {
                var end = Math.Min(bytes.Length, offset + 37);
                await socket.SendAsync(bytes.AsMemory(offset, end - offset), WebSocketMessageType.Text, end == bytes.Length, ct);
            }
            await socket.SendAsync("{\"type\":\"StasisStart\",\"chan"u8.ToArray(), WebSocketMessageType.Text, true, ct);
            await socket.SendAsync(Encoding.UTF8.GetBytes(stasisEnd), WebSocketMessageType.Text, true, ct);
            await Task.Delay(Timeout.Infinite, ct);
        };
        var received = new ConcurrentQueue<AriMessage>();
        var stream = Stream(Options(server.BaseUrl));
        using var stop = new CancellationTokenSource();

        var run = stream.RunAsync((m, _) => { received.Enqueue(m); return ValueTask.CompletedTask; }, stop.Token);
        await Eventually.TrueAsync(() => received.Count == 2, Patience);
        stop.Cancel();
        await run.WaitAsync(Patience);

        Assert.Collection(received, m => Assert.IsType<StasisStart>(m), m => Assert.IsType<StasisEnd>(m));
        Assert.Equal(1, stream.Connections);
    }

    [Fact]
    public async Task A_server_that_closes_cleanly_at_once_is_retried_with_growing_delays_and_Reconnected_is_raised()
    {
        await using var server = await RecordedAsteriskServer.StartAsync();
        var connectedAt = new ConcurrentQueue<long>();
        server.OnEvents = (_, _) =>
        {
            connectedAt.Enqueue(Stopwatch.GetTimestamp());
            return Task.CompletedTask;
        };
        var options = Options(server.BaseUrl);
        var stream = Stream(options);
        var reconnects = 0;
        var states = new ConcurrentQueue<AriConnectionState>();
        stream.Reconnected += _ =>
        {
            Interlocked.Increment(ref reconnects);
            return Task.CompletedTask;
        };
        stream.StateChanged += (_, s) => states.Enqueue(s);
        using var stop = new CancellationTokenSource();

        var run = stream.RunAsync((_, _) => ValueTask.CompletedTask, stop.Token);
        await server.WaitForEventConnectionsAsync(5, Patience);
        await Eventually.TrueAsync(() => Volatile.Read(ref reconnects) >= 4, Patience);
        stop.Cancel();
        await run.WaitAsync(Patience);

        var times = connectedAt.Take(5).ToArray();
        var gaps = times.Zip(times.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b)).ToArray();
        // Equal jitter never waits less than half the capped delay: 50, 100, 200, 400 ms at least.
        for (var i = 0; i < gaps.Length; i++)
        {
            var floor = Math.Min(options.ReconnectMaxDelay.TotalMilliseconds, options.ReconnectMinDelay.TotalMilliseconds * Math.Pow(2, i)) / 2;
            Assert.True(gaps[i].TotalMilliseconds >= floor - 5, $"gap {i} was {gaps[i].TotalMilliseconds} ms, below {floor} ms");
        }
        Assert.Equal([AriConnectionState.Connecting, AriConnectionState.Connected, AriConnectionState.Disconnected], states.Take(3));
    }

    [Fact]
    public async Task A_refused_upgrade_is_retried_forever()
    {
        await using var server = await RecordedAsteriskServer.StartAsync();
        server.RefuseEventsWith = 401;
        var stream = Stream(Options(server.BaseUrl));
        using var stop = new CancellationTokenSource();

        var run = stream.RunAsync((_, _) => ValueTask.CompletedTask, stop.Token);
        await Eventually.TrueAsync(() => server.Requests.Count >= 3, Patience);
        Assert.Equal(0, stream.Connections);
        server.RefuseEventsWith = null;
        await Eventually.TrueAsync(() => stream.Connections == 1, Patience);
        stop.Cancel();
        await run.WaitAsync(Patience);

    }

    [Fact]
    public async Task A_silently_dead_socket_is_noticed_by_the_unanswered_ping_within_seconds()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new ConcurrentQueue<TcpClient>();
        using var stop = new CancellationTokenSource();
        var acceptLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                accepted.Enqueue(client);
                await CompleteHandshakeThenGoSilentAsync(client, stop.Token);
            }
        });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var stream = Stream(Options(new Uri($"http://127.0.0.1:{port}/")));
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stream.StateChanged += (_, s) =>
        {
            if (s == AriConnectionState.Disconnected && stream.Connections == 1)
            {
                disconnected.TrySetResult();
            }
        };

        var started = Stopwatch.GetTimestamp();
        var run = stream.RunAsync((_, _) => ValueTask.CompletedTask, stop.Token);
        await disconnected.Task.WaitAsync(Patience);
        var noticedAfter = Stopwatch.GetElapsedTime(started);
        await Eventually.TrueAsync(() => accepted.Count >= 2, Patience);
        stop.Cancel();
        await run.WaitAsync(Patience);
        // The accept loop ends with the cancellation, thrown from an accept or seen between two (a race, not a result).
        try
        {
            await acceptLoop.WaitAsync(Patience);
        }
        catch (OperationCanceledException)
        {
        }
        foreach (var client in accepted)
        {
            client.Dispose();
        }

        Assert.True(noticedAfter < TimeSpan.FromSeconds(5), $"took {noticedAfter}");
    }

    // Answers the upgrade like any WebSocket server, then neither reads nor writes: a peer whose host died.
    private static async Task CompleteHandshakeThenGoSilentAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var network = client.GetStream();
        var request = new StringBuilder();
        var buffer = new byte[4096];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await network.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return;
            }
            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        var key = request.ToString().Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
#pragma warning disable CA5350 // RFC 6455 prescribes SHA-1 for Sec-WebSocket-Accept; nothing is protected by it.
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        var response = $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n";
        await network.WriteAsync(Encoding.ASCII.GetBytes(response), cancellationToken);
    }

    [Fact]
    public async Task An_app_taken_over_by_another_client_is_passed_on_and_taken_back_by_reconnecting()
    {
        var replaced = Transcripts.EventFrames().First(f => f.Type == "ApplicationReplaced").Raw;
        await using var server = await RecordedAsteriskServer.StartAsync();
        server.OnEvents = async (socket, ct) =>
        {
            if (server.EventConnections == 1)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(replaced), WebSocketMessageType.Text, true, ct);
            }
            // Like Asterisk, never close the replaced socket from the server side.
            var buffer = new byte[1024];
            while (!(await socket.ReceiveAsync(buffer, ct)).CloseStatus.HasValue)
            {
            }
        };
        var received = new ConcurrentQueue<AriMessage>();
        var stream = Stream(Options(server.BaseUrl));
        using var stop = new CancellationTokenSource();

        var run = stream.RunAsync((m, _) => { received.Enqueue(m); return ValueTask.CompletedTask; }, stop.Token);
        await Eventually.TrueAsync(() => stream.Connections == 2, Patience);
        await stop.CancelAsync();
        await run.WaitAsync(Patience);

        Assert.IsType<ApplicationReplaced>(Assert.Single(received));
        Assert.Equal(2, stream.Connections);
    }
}
