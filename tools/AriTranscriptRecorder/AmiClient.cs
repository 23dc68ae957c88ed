using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace CityContact.Tools.AriTranscriptRecorder;

/// <summary>
/// One AMI connection, every frame recorded raw in both directions: the banner cut at its first CRLF, every other
/// frame at the blank line; a closed connection as a frame with <c>eof: true</c> (INDEX.md, "File format").
/// </summary>
internal sealed class AmiClient : IAsyncDisposable
{
    private readonly Timeline _timeline;
    private readonly string _conn;
    private readonly TcpClient _tcp = new();
    private NetworkStream? _stream;
    private Task? _reader;

    public AmiClient(Timeline timeline, string conn)
    {
        _timeline = timeline;
        _conn = conn;
    }

    public async Task ConnectAsync(string host, int port, CancellationToken ct)
    {
        await _tcp.ConnectAsync(host, port, ct);
        _stream = _tcp.GetStream();
        _reader = Task.Run(() => ReadAsync(ct), ct);
    }

    public async Task SendAsync(string frame, CancellationToken ct)
    {
        _timeline.Frame(new JsonObject { ["t"] = _timeline.Now, ["conn"] = _conn, ["dir"] = "out", ["text"] = frame });
        await _stream!.WriteAsync(Encoding.UTF8.GetBytes(frame), ct);
    }

    private async Task ReadAsync(CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        var pending = new StringBuilder();
        var bannerSeen = false;
        try
        {
            while (true)
            {
                var n = await _stream!.ReadAsync(buffer, ct);
                var t = _timeline.Now;
                if (n == 0)
                {
                    _timeline.Frame(new JsonObject { ["t"] = t, ["conn"] = _conn, ["dir"] = "in", ["text"] = "", ["eof"] = true });
                    return;
                }
                pending.Append(Encoding.UTF8.GetString(buffer, 0, n));
                while (true)
                {
                    var text = pending.ToString();
                    var separator = bannerSeen ? "\r\n\r\n" : "\r\n";
                    var end = text.IndexOf(separator, StringComparison.Ordinal);
                    if (end < 0)
                    {
                        break;
                    }
                    var frame = text[..(end + separator.Length)];
                    pending.Remove(0, frame.Length);
                    bannerSeen = true;
                    _timeline.Frame(new JsonObject { ["t"] = t, ["conn"] = _conn, ["dir"] = "in", ["text"] = frame });
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        if (_reader is not null)
        {
            await _reader;
        }
    }
}
