using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Features;

namespace CityContact.Service.Features.Wallboard;

/// <summary>
/// One server-sent event stream with many viewers: each published value is framed once (<c>event: name</c> +
/// <c>data: json</c>) and the same bytes are handed to every viewer. A viewer holds at most one frame not yet written:
/// a slow one skips to the latest value (older frames are dropped), a vanished one is removed when its request ends.
/// </summary>
public sealed class SseFeed(string eventName)
{
    private readonly byte[] _prefix = Encoding.UTF8.GetBytes($"event: {eventName}\ndata: ");
    private readonly Lock _gate = new();
    private readonly List<Channel<ReadOnlyMemory<byte>>> _viewers = [];
    private byte[]? _latestJson;
    private ReadOnlyMemory<byte> _latestFrame;

    /// <summary>The last value published (JSON), null before the first.</summary>
    public byte[]? LatestJson => Volatile.Read(ref _latestJson);

    public int Viewers
    {
        get
        {
            lock (_gate)
            {
                return _viewers.Count;
            }
        }
    }

    public void Publish(byte[] json)
    {
        var frame = new byte[_prefix.Length + json.Length + 2];
        _prefix.CopyTo(frame, 0);
        json.CopyTo(frame, _prefix.Length);
        frame[^2] = (byte)'\n';
        frame[^1] = (byte)'\n';
        lock (_gate)
        {
            _latestJson = json;
            _latestFrame = frame;
            foreach (var viewer in _viewers)
            {
                viewer.Writer.TryWrite(frame);
            }
        }
    }

    private Channel<ReadOnlyMemory<byte>> Subscribe()
    {
        var viewer = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
        {
            _viewers.Add(viewer);
            if (_latestJson is not null)
            {
                viewer.Writer.TryWrite(_latestFrame);
            }
        }
        return viewer;
    }

    private void Unsubscribe(Channel<ReadOnlyMemory<byte>> viewer)
    {
        lock (_gate)
        {
            _viewers.Remove(viewer);
        }
    }

    private static readonly byte[] KeepAlive = ": keepalive\n\n"u8.ToArray();

    /// <summary>Serves this feed to one viewer until the request ends: the latest value at once, then every new one.</summary>
    public async Task StreamAsync(HttpContext http, TimeSpan keepAlive)
    {
        var ct = http.RequestAborted;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var viewer = Subscribe();
        try
        {
            await http.Response.Body.FlushAsync(ct);
            Task<bool>? next = null;
            while (true)
            {
                next ??= viewer.Reader.WaitToReadAsync(ct).AsTask();
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    var quiet = Task.Delay(keepAlive, idle.Token);
                    if (await Task.WhenAny(next, quiet) == quiet)
                    {
                        await http.Response.Body.WriteAsync(KeepAlive, ct);
                        await http.Response.Body.FlushAsync(ct);
                        continue;
                    }
                    await idle.CancelAsync();
                }
                if (!await next)
                {
                    return;
                }
                next = null;
                while (viewer.Reader.TryRead(out var frame))
                {
                    await http.Response.Body.WriteAsync(frame, ct);
                }
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The viewer went away.
        }
        finally
        {
            Unsubscribe(viewer);
        }
    }
}
