using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>
/// A TCP relay on a free loopback port in front of Asterisk's HTTP port, for the service's ARI (<c>Ari:Url</c>): a test
/// severs every connection through it at a moment of its choosing (the service's event WebSocket drops as when the network
/// or Asterisk's HTTP server goes away, without touching Asterisk or its calls), and can hold new REST connections back
/// for a while, which stretches the time the service spends re-adopting after it reconnected.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<(Socket Client, Socket Upstream)> _pairs = [];
    private readonly Task _accepting;
    private TimeSpan _restDelay;

    public TcpRelay(IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync(_stopping.Token);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>ARI's base URL through the relay.</summary>
    public string AriUrl => $"http://127.0.0.1:{Port}/ari";

    /// <summary>Connections relayed right now (the event WebSocket and pooled REST connections).</summary>
    public int OpenConnections
    {
        get
        {
            lock (_gate)
            {
                return _pairs.Count;
            }
        }
    }

    /// <summary>
    /// New connections that are not the event WebSocket (<c>GET /ari/events</c>) reach Asterisk this much later; zero
    /// (the default) relays them at once.
    /// </summary>
    public TimeSpan RestDelay
    {
        get { lock (_gate) { return _restDelay; } }
        set { lock (_gate) { _restDelay = value; } }
    }

    /// <summary>Resets every relayed connection at once (both sides see the TCP connection reset, no close frame).</summary>
    public void Sever()
    {
        List<(Socket Client, Socket Upstream)> pairs;
        lock (_gate)
        {
            pairs = [.. _pairs];
            _pairs.Clear();
        }
        foreach (var (client, upstream) in pairs)
        {
            Reset(client);
            Reset(upstream);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Sever();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(ct);
            _ = Task.Run(() => RelayAsync(client, ct), CancellationToken.None);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken ct)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // The request's first bytes tell the event WebSocket from REST requests.
            var buffer = new byte[16 * 1024];
            var first = await client.ReceiveAsync(buffer, SocketFlags.None, ct);
            if (first == 0)
            {
                return;
            }
            var isEvents = Encoding.ASCII.GetString(buffer, 0, first).StartsWith("GET /ari/events", StringComparison.Ordinal);
            var delay = RestDelay;
            if (!isEvents && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ct);
            }
            await upstream.ConnectAsync(_target, ct);
            lock (_gate)
            {
                _pairs.Add((client, upstream));
            }
            await upstream.SendAsync(buffer.AsMemory(0, first), SocketFlags.None, ct);
            await Task.WhenAll(PumpAsync(client, upstream, ct), PumpAsync(upstream, client, ct));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Severed, closed by either side, or the relay stops: the pair ends below.
        }
        finally
        {
            lock (_gate)
            {
                _pairs.Remove((client, upstream));
            }
            Reset(client);
            Reset(upstream);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, ct);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, ct);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>Closes with RST (linger 0), as a dead peer or a cut network looks to the other side.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
