using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CityContact.Tools.AriTranscriptRecorder;

/// <summary>
/// The ARI app's two connections. REST goes over a raw HTTP/1.1 socket (one request per connection) so that the
/// status line and the headers are recorded exactly as Asterisk wrote them (its "Content-type" spelling included);
/// HttpClient would normalize them. The WebSocket is <see cref="ClientWebSocket"/>, every text frame recorded raw.
/// </summary>
internal sealed class AriClient(Timeline timeline, string host, int port, string user, string password) : IAsyncDisposable
{
    private readonly Dictionary<string, ClientWebSocket> _sockets = [];
    private readonly List<Task> _readers = [];

    /// <summary>Every event of every WebSocket, parsed, in arrival order, for the scenario to react to.</summary>
    public Channel<JsonObject> Events { get; } = Channel.CreateUnbounded<JsonObject>();

    public async Task<JsonNode?> RequestAsync(string method, string path, IReadOnlyList<(string Name, string Value)> query, CancellationToken ct, JsonObject? body = null)
    {
        var queryString = string.Join('&', query.Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value)}"));
        var queryObject = new JsonObject();
        foreach (var (name, value) in query)
        {
            queryObject[name] = value;
        }
        var bodyText = body?.ToJsonString();
        timeline.Step(new JsonObject
        {
            ["t"] = timeline.Now, ["kind"] = "request", ["method"] = method, ["path"] = path,
            ["query"] = queryObject, ["query_string"] = queryString, ["body"] = body?.DeepClone(),
        });

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port, ct);
        var stream = tcp.GetStream();
        var head = new StringBuilder()
            .Append(method).Append(' ').Append(path).Append(queryString.Length > 0 ? "?" + queryString : "").Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(host).Append(':').Append(port).Append("\r\n")
            .Append("Authorization: Basic ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))).Append("\r\n")
            .Append("Connection: close\r\n");
        var payload = bodyText is null ? [] : Encoding.UTF8.GetBytes(bodyText);
        if (bodyText is not null)
        {
            head.Append("Content-Type: application/json\r\n");
        }
        head.Append("Content-Length: ").Append(payload.Length).Append("\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct);
        await stream.WriteAsync(payload, ct);

        using var received = new MemoryStream();
        await stream.CopyToAsync(received, ct);
        var t = timeline.Now;
        var raw = Encoding.UTF8.GetString(received.ToArray());
        var headEnd = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var lines = raw[..headEnd].Split("\r\n");
        var statusLine = lines[0].Split(' ', 3);
        var headers = new JsonObject();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }
        var responseBody = raw[(headEnd + 4)..];
        JsonNode? json = null;
        try
        {
            json = responseBody.Length > 0 ? JsonNode.Parse(responseBody) : null;
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page): only the raw body is kept.
        }
        var step = new JsonObject
        {
            ["t"] = t, ["kind"] = "response", ["method"] = method, ["path"] = path,
            ["status"] = int.Parse(statusLine[1], System.Globalization.CultureInfo.InvariantCulture),
            ["reason"] = statusLine.Length > 2 ? statusLine[2] : "",
            ["headers"] = headers, ["body"] = responseBody.Length > 0 ? responseBody : null,
        };
        if (json is not null)
        {
            step["json"] = json.DeepClone();
        }
        timeline.Step(step);
        return json;
    }

    /// <summary>GET /ari/events?app=…&amp;api_key=…, recorded as a request with <c>websocket: true</c> and its 101 response.</summary>
    public async Task ConnectEventsAsync(string name, string app, CancellationToken ct)
    {
        var queryString = $"app={app}&api_key={user}:{password}";
        timeline.Step(new JsonObject
        {
            ["t"] = timeline.Now, ["kind"] = "request", ["ws"] = name, ["websocket"] = true, ["method"] = "GET", ["path"] = "/ari/events",
            ["query"] = new JsonObject { ["app"] = app, ["api_key"] = $"{user}:{password}" }, ["query_string"] = queryString, ["body"] = null,
        });
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(new Uri($"ws://{host}:{port}/ari/events?{queryString}"), ct);
        // The same shape as websocket-client gave the older transcripts: lower-cased names, the upgrade's own headers.
        var headers = new JsonObject();
        foreach (var header in new[] { "upgrade", "connection", "sec-websocket-accept" })
        {
            var value = socket.HttpResponseHeaders?.FirstOrDefault(h => h.Key.Equals(header, StringComparison.OrdinalIgnoreCase)).Value;
            if (value is not null)
            {
                headers[header] = string.Join(',', value);
            }
        }
        timeline.Step(new JsonObject
        {
            ["t"] = timeline.Now, ["kind"] = "response", ["ws"] = name, ["websocket"] = true, ["method"] = "GET", ["path"] = "/ari/events",
            ["status"] = (int)socket.HttpStatusCode, ["headers"] = headers, ["body"] = null,
        });
        _sockets[name] = socket;
        _readers.Add(Task.Run(() => ReadAsync(name, socket, ct), ct));
    }

    private async Task ReadAsync(string name, ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    timeline.Step(new JsonObject
                    {
                        ["t"] = timeline.Now, ["kind"] = "event", ["ws"] = name, ["frame"] = "close",
                        ["close_code"] = (int?)result.CloseStatus, ["close_reason"] = result.CloseStatusDescription ?? "",
                    });
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var t = timeline.Now;
                var raw = Encoding.UTF8.GetString(message.ToArray());
                message.SetLength(0);
                var parsed = JsonNode.Parse(raw)!.AsObject();
                timeline.Step(new JsonObject
                {
                    ["t"] = t, ["kind"] = "event", ["ws"] = name, ["frame"] = "text", ["type"] = parsed["type"]?.GetValue<string>(),
                    ["raw"] = raw, ["event"] = parsed.DeepClone(),
                });
                await Events.Writer.WriteAsync(parsed, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException)
        {
            // Closed by our own dispose at the end of the scenario.
        }
    }

    /// <summary>The next event of <paramref name="type"/> (others are skipped; all are recorded anyway).</summary>
    public async Task<JsonObject> WaitForAsync(string type, CancellationToken ct, Func<JsonObject, bool>? where = null)
    {
        await foreach (var ev in Events.Reader.ReadAllAsync(ct))
        {
            if (ev["type"]?.GetValue<string>() == type && (where is null || where(ev)))
            {
                return ev;
            }
        }
        throw new InvalidOperationException($"the event stream ended before {type}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets.Values)
        {
            socket.Abort();
            socket.Dispose();
        }
        try
        {
            await Task.WhenAll(_readers);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
