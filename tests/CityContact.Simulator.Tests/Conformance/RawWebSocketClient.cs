using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>A frame received on a replay WebSocket, stamped with the replay's arrival sequence number.</summary>
public sealed record ReceivedFrame(long Sequence, string? Text, WebSocketCloseStatus? CloseStatus);

/// <summary>
/// The HTTP answer to a WebSocket upgrade, read off the wire: ClientWebSocket hides the reason phrase, the headers
/// and the body of a refused upgrade, which the transcripts record (401 JSON, 400 HTML page).
/// </summary>
public sealed record UpgradeAnswer(int Status, string Reason, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body, string SecWebSocketKey);

/// <summary>One ARI event WebSocket of a replay: a raw TCP upgrade, then a receive loop that queues frames in arrival order.</summary>
public sealed class RawWebSocketClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly WebSocket? _socket;
    private readonly Channel<ReceivedFrame> _frames = Channel.CreateUnbounded<ReceivedFrame>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiveLoop = Task.CompletedTask;

    private RawWebSocketClient(TcpClient tcp, UpgradeAnswer answer, WebSocket? socket, Func<long> nextSequence)
    {
        _tcp = tcp;
        Answer = answer;
        _socket = socket;
        if (socket is not null)
        {
            _receiveLoop = ReceiveAsync(socket, nextSequence, _stop.Token);
        }
    }

    public UpgradeAnswer Answer { get; }

    public ChannelReader<ReceivedFrame> Frames => _frames.Reader;

    /// <summary>Sends the upgrade request for <paramref name="pathAndQuery"/>; on 101 starts receiving, otherwise keeps the refusal.</summary>
    public static async Task<RawWebSocketClient> ConnectAsync(Uri baseUrl, string pathAndQuery, string? basicCredentials, Func<long> nextSequence, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(baseUrl.Host, baseUrl.Port, ct);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = new StringBuilder()
            .Append($"GET {pathAndQuery} HTTP/1.1\r\n")
            .Append($"Host: {baseUrl.Host}:{baseUrl.Port}\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .Append($"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n");
        if (basicCredentials is not null)
        {
            request.Append($"Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(basicCredentials))}\r\n");
        }
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), ct);

        var (status, reason, headers) = await ReadHeadAsync(stream, ct);
        var body = status == 101 ? "" : await ReadBodyAsync(stream, headers, ct);
        var answer = new UpgradeAnswer(status, reason, headers, body, key);
        var socket = status == 101
            ? WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = Timeout.InfiniteTimeSpan })
            : null;
        return new RawWebSocketClient(tcp, answer, socket, nextSequence);
    }

    /// <summary>The Sec-WebSocket-Accept a server must answer to <paramref name="key"/> (RFC 6455, 4.2.2).</summary>
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for the handshake; it protects nothing here.
    public static string AcceptFor(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350

    /// <summary>Sends a close frame 1000 and lets the receive loop record the server's answering close frame.</summary>
    public async Task CloseAsync(CancellationToken ct)
    {
        if (_socket is { State: WebSocketState.Open or WebSocketState.CloseReceived })
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", ct);
        }
    }

    /// <summary>Drops the TCP connection without a close frame.</summary>
    public void Abort()
    {
        _socket?.Abort();
        _tcp.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket?.Abort();
        _tcp.Dispose();
        try
        {
            await _receiveLoop;
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation on dispose.
        }
        _socket?.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveAsync(WebSocket socket, Func<long> nextSequence, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _frames.Writer.TryWrite(new ReceivedFrame(nextSequence(), null, result.CloseStatus));
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    _frames.Writer.TryWrite(new ReceivedFrame(nextSequence(), Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length), null));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection went away; the replay notices a missing frame by its timeout.
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }

    /// <summary>The body of a refused upgrade, framed by Content-Length, chunked, or by the end of the connection.</summary>
    private static async Task<string> ReadBodyAsync(Stream stream, List<KeyValuePair<string, string>> headers, CancellationToken ct)
    {
        string? Header(string name) => headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        var body = new MemoryStream();
        if (Header("Content-Length") is { } length)
        {
            var buffer = new byte[int.Parse(length, System.Globalization.CultureInfo.InvariantCulture)];
            await stream.ReadExactlyAsync(buffer, ct);
            body.Write(buffer);
        }
        else if (Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            while (true)
            {
                var size = Convert.ToInt32((await ReadLineAsync(stream, ct)).Split(';')[0].Trim(), 16);
                var chunk = new byte[size + 2]; // the chunk and its CRLF
                await stream.ReadExactlyAsync(chunk, ct);
                if (size == 0)
                {
                    break;
                }
                body.Write(chunk, 0, size);
            }
        }
        else
        {
            await stream.CopyToAsync(body, ct);
        }
        return Encoding.UTF8.GetString(body.ToArray());
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken ct)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (line.Count < 2 || !(line[^2] == '\r' && line[^1] == '\n'))
        {
            await stream.ReadExactlyAsync(one, ct);
            line.Add(one[0]);
        }
        return Encoding.ASCII.GetString([.. line], 0, line.Count - 2);
    }

    private static async Task<(int Status, string Reason, List<KeyValuePair<string, string>> Headers)> ReadHeadAsync(Stream stream, CancellationToken ct)
    {
        // Byte by byte up to the blank line, so that no WebSocket frame bytes are consumed with the head.
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct) == 0)
            {
                throw new IOException("connection closed during the upgrade answer");
            }
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var statusLine = lines[0].Split(' ', 3);
        var headers = lines.Skip(1)
            .Select(l => l.Split(':', 2))
            .Select(p => KeyValuePair.Create(p[0].Trim(), p.Length > 1 ? p[1].Trim() : ""))
            .ToList();
        return (int.Parse(statusLine[1], System.Globalization.CultureInfo.InvariantCulture), statusLine.Length > 2 ? statusLine[2] : "", headers);
    }
}
