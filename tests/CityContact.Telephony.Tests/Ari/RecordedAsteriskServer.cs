using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityContact.Telephony.Tests.Ari;

/// <summary>
/// A Kestrel server on a free port that answers ARI requests with the responses a real Asterisk gave in a
/// transcript (status, reason phrase, body, headers), matched on method, raw path and query parameters, in recorded order.
/// A request the transcript does not have gets 599, so a client sending other names or encodings fails.
/// The event WebSocket is scripted by the test through <see cref="OnEvents"/>.
/// </summary>
internal sealed class RecordedAsteriskServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Exchange> _exchanges = [];
    private readonly HashSet<Exchange> _used = new(ReferenceEqualityComparer.Instance);

    private RecordedAsteriskServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Runs for each accepted WebSocket on /ari/events; the socket closes when it returns.</summary>
    public Func<WebSocket, CancellationToken, Task>? OnEvents { get; set; }

    /// <summary>Set to refuse upgrades with this status.</summary>
    public int? RefuseEventsWith { get; set; }

    public int EventConnections => _eventConnections;

    private int _eventConnections;

    public static async Task<RecordedAsteriskServer> StartAsync(params string[] transcripts)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new RecordedAsteriskServer(app);
        foreach (var transcript in transcripts)
        {
            server._exchanges.AddRange(Exchanges(transcript));
        }
        app.UseWebSockets();
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address + "/");
        return server;
    }

    public Task WaitForEventConnectionsAsync(int count, TimeSpan patience) => Eventually.TrueAsync(() => _eventConnections >= count, patience);

    private async Task HandleAsync(HttpContext context)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        Requests.Enqueue(new Received(context.Request.Method, rawTarget, context.Request.Headers.Authorization.ToString(), body));
        if (context.Request.Path == "/ari/events")
        {
            await HandleEventsAsync(context);
            return;
        }
        var path = rawTarget.Split('?')[0];
        var query = Parameters(context.Request.QueryString.Value?.TrimStart('?') ?? "");
        // The same request may have been answered differently as the call went on (200, then 409 or 404):
        // replay the answers in recorded order and repeat the last one.
        Exchange? match;
        lock (_exchanges)
        {
            var candidates = _exchanges.Where(e => e.Method == context.Request.Method && e.Path == path && e.Query.SetEquals(query)).ToList();
            match = candidates.FirstOrDefault(e => !_used.Contains(e)) ?? candidates.LastOrDefault();
            if (match is not null)
            {
                _used.Add(match);
            }
        }
        if (match is null)
        {
            context.Response.StatusCode = 599;
            await context.Response.WriteAsync($"no recorded answer for {context.Request.Method} {rawTarget}");
            return;
        }
        context.Response.StatusCode = match.Status;
        context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = match.Reason;
        if (match.ContentType is not null)
        {
            context.Response.ContentType = match.ContentType;
        }
        if (match.Location is not null)
        {
            context.Response.Headers.Location = match.Location;
        }
        if (match.BodyLength is { } length)
        {
            await context.Response.Body.WriteAsync(new byte[length]);
        }
        else if (!string.IsNullOrEmpty(match.Body))
        {
            await context.Response.WriteAsync(match.Body);
        }
    }

    private async Task HandleEventsAsync(HttpContext context)
    {
        if (RefuseEventsWith is { } status)
        {
            context.Response.StatusCode = status;
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        Interlocked.Increment(ref _eventConnections);
        if (OnEvents is { } script)
        {
            await script(socket, context.RequestAborted);
        }
        if (socket.State == WebSocketState.Open)
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
    }

    public static HashSet<string> Parameters(string query)
    {
        var parsed = HttpUtility.ParseQueryString(query);
        return parsed.AllKeys.Where(k => k is not null).Select(k => k + "=" + parsed[k]).ToHashSet(StringComparer.Ordinal);
    }

    private static IEnumerable<Exchange> Exchanges(string transcript)
    {
        JsonElement? request = null;
        foreach (var step in Transcripts.Steps(transcript))
        {
            var kind = step.GetProperty("kind").GetString();
            if (step.TryGetProperty("websocket", out _))
            {
                continue;
            }
            if (kind == "request")
            {
                request = step;
            }
            else if (kind == "response" && request is { } r)
            {
                var headers = step.GetProperty("headers");
                string? Header(string name) => headers.EnumerateObject()
                    .Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value.GetString()).FirstOrDefault();
                yield return new Exchange(
                    r.GetProperty("method").GetString()!,
                    r.GetProperty("path").GetString()!,
                    Parameters(r.GetProperty("query_string").GetString() ?? ""),
                    step.GetProperty("status").GetInt32(),
                    step.GetProperty("reason").GetString()!,
                    step.GetProperty("body").ValueKind == JsonValueKind.String ? step.GetProperty("body").GetString() : null,
                    step.TryGetProperty("content_type", out var ct) ? ct.GetString() : Header("Content-type"),
                    step.TryGetProperty("body_length", out var length) ? length.GetInt32() : null,
                    Header("Location"));
                request = null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public sealed record Received(string Method, string RawTarget, string Authorization, string Body);

    private sealed record Exchange(string Method, string Path, HashSet<string> Query, int Status, string Reason, string? Body,
        string? ContentType, int? BodyLength, string? Location);
}
