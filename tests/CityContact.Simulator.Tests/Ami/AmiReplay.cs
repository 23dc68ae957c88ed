using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using CityContact.Telephony.Ami;
using Xunit;

namespace CityContact.Simulator.Tests.Ami;

/// <summary>
/// Plays the client side of one AMI connection of a transcript against the simulator and compares every frame the
/// simulator sends with the recorded one. Stimuli (SIP and ARI actions that drive the call) start before given frames.
/// </summary>
public static class AmiReplay
{
    private static readonly TimeSpan FrameTimeout = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(int port, IEnumerable<AmiTranscriptFrame> frames, IReadOnlyDictionary<int, Func<Task>>? stimuli = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var reader = new AmiWireReader(tcp.GetStream());
        var running = new List<Task>();
        try
        {
            foreach (var frame in frames)
            {
                if (stimuli?.TryGetValue(frame.Index, out var stimulus) == true)
                {
                    running.Add(Task.Run(stimulus));
                }
                if (frame.FromClient)
                {
                    await tcp.GetStream().WriteAsync(Encoding.UTF8.GetBytes(frame.Text));
                    continue;
                }
                if (frame.IsEof)
                {
                    var extra = await reader.ReadAsync(FrameTimeout);
                    Assert.True(extra is null, $"{frame.Label}: expected the connection to close, got {extra}");
                    continue;
                }
                if (frame.Message is not { } expected)
                {
                    Assert.Equal(frame.Text.TrimEnd('\r', '\n'), await reader.ReadBannerAsync(FrameTimeout));
                    continue;
                }
                if (expected.EventName is { } name && AmiFrameComparer.UnmodelledEvents.Contains(name))
                {
                    continue;
                }
                AmiMessage? actual;
                try
                {
                    actual = await reader.ReadAsync(FrameTimeout);
                }
                catch (OperationCanceledException)
                {
                    throw new Xunit.Sdk.XunitException($"{frame.Label}: nothing from the simulator within {FrameTimeout.TotalSeconds} s; expected {expected}");
                }
                actual = actual
                    ?? throw new Xunit.Sdk.XunitException($"{frame.Label}: the simulator closed the connection instead");
                if (AmiFrameComparer.Difference(expected, actual) is { } difference)
                {
                    Assert.Fail($"{frame.Label}: {difference}\n  expected: {expected}\n  actual:   {actual}");
                }
            }
        }
        finally
        {
            await Task.WhenAll(running).WaitAsync(FrameTimeout);
        }
    }

    private sealed class AmiWireReader(NetworkStream stream)
    {
        private readonly AmiFrameDecoder _decoder = new(expectBanner: true);
        private readonly Queue<AmiMessage> _frames = new();
        private readonly byte[] _buffer = new byte[16 * 1024];
        private bool _eof;

        public async Task<string> ReadBannerAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (_decoder.Banner is null && !_eof)
            {
                await FillAsync(cts.Token);
            }
            return _decoder.Banner ?? throw new Xunit.Sdk.XunitException("no banner before the connection closed");
        }

        public async Task<AmiMessage?> ReadAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            while (_frames.Count == 0 && !_eof)
            {
                await FillAsync(cts.Token);
            }
            return _frames.Count > 0 ? _frames.Dequeue() : null;
        }

        private async Task FillAsync(CancellationToken ct)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(_buffer, ct);
            }
            catch (IOException)
            {
                read = 0;
            }
            if (read == 0)
            {
                _eof = true;
                return;
            }
            var output = new List<AmiMessage>();
            _decoder.Feed(_buffer.AsSpan(0, read), output);
            output.ForEach(_frames.Enqueue);
        }
    }
}

/// <summary>The ARI side of a scenario: the app's WebSocket (so trunk calls enter Stasis) and its REST calls.</summary>
public sealed class AriApp : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly HttpClient _http;

    private AriApp(Uri baseUrl)
    {
        _http = new HttpClient { BaseAddress = baseUrl };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("cc:cc"u8.ToArray()));
    }

    public static async Task<AriApp> ConnectAsync(AsteriskSimulator simulator)
    {
        var app = new AriApp(simulator.AriBaseUrl);
        app._socket.Options.SetRequestHeader("Authorization", "Basic " + Convert.ToBase64String("cc:cc"u8.ToArray()));
        var ws = new UriBuilder(new Uri(simulator.AriBaseUrl, "ari/events?app=citycontact")) { Scheme = "ws" }.Uri;
        await app._socket.ConnectAsync(ws, CancellationToken.None);
        await simulator.WaitUntilAsync(s => s.ConnectedApplications.Contains("citycontact"));
        return app;
    }

    public async Task SendAsync(HttpMethod method, string pathAndQuery)
    {
        using var response = await _http.SendAsync(new HttpRequestMessage(method, "ari/" + pathAndQuery));
        Assert.True(response.IsSuccessStatusCode, $"{method} {pathAndQuery}: {(int)response.StatusCode}");
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        _http.Dispose();
        await Task.CompletedTask;
    }
}
