using System.Net;
using System.Net.Sockets;
using System.Text;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Telephony.Ari;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Ivr;

/// <summary>
/// ARI requests that fail as they did on a loaded Asterisk (connections beyond its HTTP session limit dropped: "the response
/// ended prematurely"): the connection cap, the retries of answer, and a call whose answer fails for good.
/// </summary>
public sealed class AriFailureTests
{
    private const string CityNumber = "0256969";

    private static CancellationToken Ct => TestContext.Timeout(40);

    /// <summary>Fails the first <paramref name="failures"/> POST …/answer requests as a dropped connection does.</summary>
    private sealed class DroppedAnswers(int failures) : DelegatingHandler
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/answer", StringComparison.Ordinal)
                && Interlocked.Increment(ref _attempts) <= failures)
            {
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.");
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    private static Task<IvrHost> StartWithAsync(DroppedAnswers dropped) => IvrHost.StartAsync(testServices: services =>
        services.AddHttpClient(nameof(AriClient)).AddHttpMessageHandler(() => dropped));

    [Fact]
    public async Task A_call_whose_answer_fails_for_good_is_hung_up_unanswered_and_stored_as_failed()
    {
        var dropped = new DroppedAnswers(int.MaxValue);
        await using var host = await StartWithAsync(dropped);

        var caller = host.Sim.Trunk.Dial("+40256000001", CityNumber);
        await caller.WaitForHangupAsync(Ct);
        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);

        Assert.Equal(CallOutcomes.Failed, call.Outcome);
        Assert.Equal(CallHandler.AnswerFailedCause, call.HangupCause);
        Assert.Null(call.AnsweredAt);
        Assert.Contains(timeline, e => e.Type == "answer.failed");
        Assert.Equal(3, dropped.Attempts); // the first try and the ARI client's two retries
        // Hung up by the service with a SIP failure (congestion: 503), not left to ring out.
        var hangup = Assert.Single(host.Sim.Requests, r => r.Method == "DELETE" && r.Path == "/ari/channels/" + caller.ChannelId);
        Assert.Equal("congestion", hangup.Parameters["reason"]);
    }

    [Fact]
    public async Task An_answer_that_fails_once_is_retried_and_the_call_runs_its_flow()
    {
        var dropped = new DroppedAnswers(1);
        await using var host = await StartWithAsync(dropped);

        var caller = host.Sim.Trunk.Dial("+40256000001", CityNumber);
        await caller.WaitForAnswerAsync(Ct);
        Assert.EndsWith("/welcome", await caller.WaitForPlaybackAsync(1, Ct), StringComparison.Ordinal);
        await caller.HangUpAsync(Ct);
        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);

        Assert.Equal(2, dropped.Attempts);
        Assert.NotNull(call.AnsweredAt);
        Assert.Equal(CallOutcomes.Abandoned, call.Outcome);
        Assert.DoesNotContain(timeline, e => e.Type == "answer.failed");
    }

    [Fact]
    public async Task The_ARI_client_opens_no_more_connections_than_Ari_MaxConnections()
    {
        await using var host = await IvrHost.StartAsync(settings: new Dictionary<string, string?> { ["Ari:MaxConnections"] = "3" });
        await using var server = new CountingHttpServer();
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(AriClient));

        var requests = Enumerable.Range(0, 12).Select(i => http.GetAsync(new Uri(server.Url, $"ari/asterisk/ping?n={i}"), Ct)).ToArray();
        // Nothing is answered before three connections are open: uncapped, the other nine requests have opened their own
        // connections meanwhile; capped, they wait for one of the three.
        await server.WaitForConnectionsAsync(3, Ct);
        server.Release();
        foreach (var response in await Task.WhenAll(requests))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        Assert.Equal(3, server.MaxOpenConnections);
        Assert.Equal(12, server.Requests);
    }

    /// <summary>
    /// A keep-alive HTTP/1.1 server that counts its open connections and holds every response until released: requests
    /// waiting meanwhile either queue for a pooled connection (capped) or open connections of their own (uncapped).
    /// </summary>
    private sealed class CountingHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _connections = [];
        private readonly Task _accepting;
        private readonly Lock _gate = new();
        private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
        private int _open;
        private int _maxOpen;
        private int _requests;

        public CountingHttpServer()
        {
            _listener.Start();
            Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _accepting = AcceptAsync();
        }

        public Uri Url { get; }

        public int MaxOpenConnections => Volatile.Read(ref _maxOpen);

        public int Requests => Volatile.Read(ref _requests);

        public void Release() => _released.TrySetResult();

        public Task WaitForConnectionsAsync(int count, CancellationToken ct)
        {
            lock (_gate)
            {
                if (_open >= count)
                {
                    return Task.CompletedTask;
                }
                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, reached));
                return reached.Task.WaitAsync(ct);
            }
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                lock (_gate)
                {
                    _open++;
                    _maxOpen = Math.Max(_maxOpen, _open);
                    foreach (var waiter in _waiters.Where(w => _open >= w.Count).ToList())
                    {
                        waiter.Reached.TrySetResult();
                        _waiters.Remove(waiter);
                    }
                    _connections.Add(ServeAsync(client));
                }
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                var buffer = new byte[4096];
                var pending = new StringBuilder();
                try
                {
                    while (true)
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            break;
                        }
                        pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                        while (pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                        {
                            pending.Remove(0, end + 4);
                            Interlocked.Increment(ref _requests);
                            await _released.Task.WaitAsync(_stop.Token);
                            await stream.WriteAsync("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                    // The test is over or the client closed the connection.
                }
            }
            lock (_gate)
            {
                _open--;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            Task[] connections;
            lock (_gate)
            {
                connections = [.. _connections];
            }
            await Task.WhenAll(connections);
            _stop.Dispose();
        }
    }
}
