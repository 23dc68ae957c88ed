using Xunit;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using CityContact.Telephony.Ami;

namespace CityContact.Telephony.Tests.Ami;

/// <summary>A raw TCP peer on port 0 that a test scripts frame by frame, to send what a real Asterisk never would.</summary>
internal sealed class FakeAmiServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Channel<FakeAmiPeer> _accepted = Channel.CreateUnbounded<FakeAmiPeer>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<FakeAmiPeer> _peers = [];
    private readonly Task _acceptLoop;

    public FakeAmiServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    public AmiOptions ClientOptions(Action<AmiOptions>? configure = null)
    {
        var options = new AmiOptions
        {
            Host = "127.0.0.1",
            Port = Port,
            User = "cc",
            Secret = "cc",
            ActionTimeout = TimeSpan.FromSeconds(5),
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
            PingInterval = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>The next connection a client opens; the banner has been sent.</summary>
    public async Task<FakeAmiPeer> AcceptAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        return await _accepted.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Accepts a connection and answers its plain Login with success.</summary>
    public async Task<FakeAmiPeer> AcceptLoggedInAsync(CancellationToken cancellationToken)
    {
        var peer = await AcceptAsync(cancellationToken);
        var login = await peer.ReadActionAsync(cancellationToken);
        Assert.Equal("Login", login["Action"]);
        await peer.SendAsync($"Response: Success\r\nActionID: {login.ActionId}\r\nMessage: Authentication accepted\r\n\r\n", cancellationToken);
        return peer;
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (true)
            {
                var tcp = await _listener.AcceptTcpClientAsync(_stopping.Token);
                var peer = new FakeAmiPeer(tcp);
                lock (_peers)
                {
                    _peers.Add(peer);
                }
                await peer.SendAsync("Asterisk Call Manager/11.0.0\r\n", _stopping.Token);
                _accepted.Writer.TryWrite(peer);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or IOException or InvalidOperationException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        lock (_peers)
        {
            foreach (var peer in _peers)
            {
                peer.Dispose();
            }
        }
        _listener.Dispose();
        _stopping.Dispose();
    }
}

internal sealed class FakeAmiPeer(TcpClient tcp) : IDisposable
{
    private readonly NetworkStream _stream = tcp.GetStream();
    private readonly AmiFrameDecoder _decoder = new(expectBanner: false);
    private readonly Queue<AmiMessage> _received = new();
    private readonly byte[] _buffer = new byte[8192];

    public Task SendAsync(string raw, CancellationToken cancellationToken) => SendAsync(Encoding.UTF8.GetBytes(raw), cancellationToken);

    public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken) => await _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>Sends each byte in its own TCP write, so the client sees the worst possible fragmentation.</summary>
    public async Task SendByteByByteAsync(string raw, CancellationToken cancellationToken)
    {
        foreach (var b in Encoding.UTF8.GetBytes(raw))
        {
            await _stream.WriteAsync(new[] { b }, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }
    }

    /// <summary>The next action the client sent; fails the test after 10 s.</summary>
    public async Task<AmiMessage> ReadActionAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var frames = new List<AmiMessage>();
        while (_received.Count == 0)
        {
            var read = await _stream.ReadAsync(_buffer, timeout.Token);
            if (read == 0)
            {
                throw new IOException("The client closed the connection.");
            }
            _decoder.Feed(_buffer.AsSpan(0, read), frames);
            foreach (var frame in frames)
            {
                _received.Enqueue(frame);
            }
            frames.Clear();
        }
        return _received.Dequeue();
    }

    /// <summary>True when the client closes its side (reads until end of stream, ignoring frames).</summary>
    public async Task WaitForCloseAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            while (await _stream.ReadAsync(_buffer, timeout.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset by the client: closed as well.
        }
    }

    public void Dispose() => tcp.Dispose();
}
