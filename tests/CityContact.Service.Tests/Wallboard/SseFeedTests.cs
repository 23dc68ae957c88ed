using System.Text;
using CityContact.Service.Features.Wallboard;
using Microsoft.AspNetCore.Http;

namespace CityContact.Service.Tests.Wallboard;

/// <summary>The event stream's fan-out with viewers that read slowly or go away.</summary>
public sealed class SseFeedTests
{
    private static CancellationToken Ct => Ivr.TestContext.Timeout(20);

    /// <summary>A response body whose writes wait until the test opens the gate, as a viewer on a stalled connection.</summary>
    private sealed class StalledBody : Stream
    {
        private readonly MemoryStream _written = new();
        private readonly TaskCompletionSource _firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstWrite => _firstWrite.Task;

        public string Text
        {
            get
            {
                lock (_written)
                {
                    return Encoding.UTF8.GetString(_written.ToArray());
                }
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _firstWrite.TrySetResult();
            await Gate.Task.WaitAsync(cancellationToken);
            lock (_written)
            {
                _written.Write(buffer.Span);
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static (DefaultHttpContext Http, StalledBody Body, CancellationTokenSource Gone) Viewer()
    {
        var body = new StalledBody();
        var gone = new CancellationTokenSource();
        var http = new DefaultHttpContext { RequestAborted = gone.Token };
        http.Response.Body = body;
        return (http, body, gone);
    }

    private static byte[] Json(int n) => Encoding.UTF8.GetBytes($"{{\"n\":{n}}}");

    [Fact]
    public async Task A_stalled_viewer_skips_to_the_latest_value_while_the_others_get_every_one()
    {
        var feed = new SseFeed("board");
        feed.Publish(Json(0));
        var (slowHttp, slow, slowGone) = Viewer();
        var (fastHttp, fast, fastGone) = Viewer();
        fast.Gate.TrySetResult();
        var slowStream = feed.StreamAsync(slowHttp, TimeSpan.FromMinutes(1));
        var fastStream = feed.StreamAsync(fastHttp, TimeSpan.FromMinutes(1));
        await slow.FirstWrite.WaitAsync(Ct);

        for (var n = 1; n <= 100; n++)
        {
            feed.Publish(Json(n));
            while (!fast.Text.Contains($"{{\"n\":{n}}}", StringComparison.Ordinal))
            {
                await Task.Delay(1, Ct);
            }
        }
        slow.Gate.TrySetResult();
        while (!slow.Text.Contains("{\"n\":100}", StringComparison.Ordinal))
        {
            await Task.Delay(5, Ct);
        }

        Assert.Equal("event: board\ndata: {\"n\":0}\n\nevent: board\ndata: {\"n\":100}\n\n", slow.Text);
        Assert.Equal(101, fast.Text.Split("event: board\n").Length - 1);
        await slowGone.CancelAsync();
        await fastGone.CancelAsync();
        await Task.WhenAll(slowStream, fastStream).WaitAsync(Ct);
    }

    [Fact]
    public async Task A_viewer_who_goes_away_stops_being_served()
    {
        var feed = new SseFeed("desk");
        feed.Publish(Json(1));
        var (http, body, gone) = Viewer();
        body.Gate.TrySetResult();
        var stream = feed.StreamAsync(http, TimeSpan.FromMinutes(1));
        while (!body.Text.Contains("{\"n\":1}", StringComparison.Ordinal))
        {
            await Task.Delay(5, Ct);
        }
        Assert.Equal(1, feed.Viewers);
        Assert.Equal("text/event-stream", http.Response.ContentType);

        await gone.CancelAsync();
        await stream.WaitAsync(Ct);
        Assert.Equal(0, feed.Viewers);
        feed.Publish(Json(2));
        Assert.DoesNotContain("{\"n\":2}", body.Text, StringComparison.Ordinal);
    }
}
