using System.Net;
using System.Text;
using System.Text.Json;
using CityContact.Simulator.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace CityContact.Simulator.AriServer;

/// <summary>
/// The ARI HTTP server: Basic auth (or <c>api_key</c>), the events WebSocket, and the REST routes of <see cref="AriRoutes"/>,
/// answered with Asterisk's status codes, reason phrases and headers.
/// </summary>
internal sealed class AriHttpHandler
{
    private const string Realm = "Basic realm=\"Asterisk REST Interface\"";
    private readonly SimulatorCore _core;
    private readonly AriRoutes _routes;

    public AriHttpHandler(SimulatorCore core)
    {
        _core = core;
        _routes = new AriRoutes(core);
    }

    public async Task HandleAsync(HttpContext context)
    {
        // Taken on arrival, so that the time from an event to the app's reaction does not include our own handling.
        var received = _core.Options.Time.GetUtcNow();
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var queryAt = raw.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryAt < 0 ? raw : raw[..queryAt];
        var rawQuery = queryAt < 0 ? "" : raw[(queryAt + 1)..];
        var parameters = ParseQuery(rawQuery);
        var body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);

        if (!rawPath.StartsWith("/ari/", StringComparison.Ordinal))
        {
            await WriteAsync(context, AriResponse.NotFound("Resource not found")).ConfigureAwait(false);
            return;
        }
        var segments = rawPath["/ari/".Length..].Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();

        if (!IsAuthorized(context.Request, parameters))
        {
            var denied = AriResponse.Error(401, "Unauthorized", "Authentication required") with
            {
                Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = Realm },
            };
            await WriteAsync(context, denied).ConfigureAwait(false);
            return;
        }

        if (segments is ["events"] && HttpMethods.IsGet(context.Request.Method))
        {
            await HandleEventsAsync(context, parameters).ConfigureAwait(false);
            return;
        }

        var bodyFields = ParseBodyFields(body);
        foreach (var (key, value) in bodyFields)
        {
            parameters.TryAdd(key, value);
        }
        var request = new AriRequest(context.Request.Method, segments, parameters, body);
        var response = _routes.Dispatch(request);
        _core.RecordRequest(new AriRequestRecord(
            received, context.Request.Method, "/ari/" + string.Join('/', segments), rawQuery,
            parameters, body.Length == 0 ? null : body, response.Status));
        await WriteAsync(context, response).ConfigureAwait(false);
    }

    private async Task HandleEventsAsync(HttpContext context, Dictionary<string, string> parameters)
    {
        if (!parameters.TryGetValue("app", out var apps) || apps.Length == 0)
        {
            // Asterisk answers the upgrade without app with an HTML page, not JSON.
            var html = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>400 Bad Request</title>\r\n</head><body>\r\n<h1>Bad Request</h1>\r\n<p>HTTP request is missing param: [app]</p>\r\n<hr />\r\n<address>Asterisk/22.10.1</address>\r\n</body></html>\r\n";
            SetCommonHeaders(context.Response, 400, "Bad Request");
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync(html, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await WriteAsync(context, AriResponse.BadRequest("WebSocket upgrade required")).ConfigureAwait(false);
            return;
        }
        // Registered before the 101 goes out: a client that saw the upgrade succeed may rely on the app existing.
        var socket = new AriEventSocket();
        var names = apps.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _core.ConnectApplications(names, socket);
        try
        {
            using var webSocket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            await socket.RunAsync(webSocket, context.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            _core.DisconnectApplications(names, socket);
        }
    }

    private bool IsAuthorized(HttpRequest request, Dictionary<string, string> parameters)
    {
        var expected = $"{_core.Options.AriUser}:{_core.Options.AriPassword}";
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())) == expected;
            }
            catch (FormatException)
            {
                return false;
            }
        }
        // Asterisk also accepts the credentials in the query; the project's own client never sends them there.
        return parameters.TryGetValue("api_key", out var key) && key == expected;
    }

    private static Dictionary<string, string> ParseQuery(string rawQuery)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = WebUtility.UrlDecode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : WebUtility.UrlDecode(pair[(eq + 1)..]);
            result[key] = value;
        }
        return result;
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Top-level scalar fields of a JSON object body count as parameters, as in Asterisk; <c>variables</c> stays in the body.</summary>
    private static Dictionary<string, string> ParseBodyFields(string body)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.Length == 0)
        {
            return result;
        }
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return result;
            }
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind is JsonValueKind.String)
                {
                    result[property.Name] = property.Value.GetString() ?? "";
                }
                else if (property.Value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                {
                    result[property.Name] = property.Value.GetRawText();
                }
            }
        }
        catch (JsonException)
        {
            // A body that is not JSON is ignored, the query still counts.
        }
        return result;
    }

    private static void SetCommonHeaders(HttpResponse response, int status, string reason)
    {
        response.StatusCode = status;
        var feature = response.HttpContext.Features.Get<IHttpResponseFeature>();
        if (feature is not null)
        {
            feature.ReasonPhrase = reason;
        }
        response.Headers["Server"] = "Asterisk/22.10.1";
        response.Headers.CacheControl = "no-cache, no-store";
    }

    private static async Task WriteAsync(HttpContext context, AriResponse answer)
    {
        var response = context.Response;
        SetCommonHeaders(response, answer.Status, answer.Reason);
        if (answer.Headers is not null)
        {
            foreach (var (name, value) in answer.Headers)
            {
                response.Headers[name] = value;
            }
        }
        if (answer.FilePath is not null)
        {
            response.ContentType = answer.ContentType ?? "application/octet-stream";
            await response.SendFileAsync(answer.FilePath, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (answer.Json is null)
        {
            response.ContentLength = 0;
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(answer.Json);
        response.ContentType = "application/json";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>A parsed ARI REST request: path segments after <c>/ari/</c> (decoded), parameters from query and JSON body.</summary>
internal sealed record AriRequest(string Method, string[] Segments, IReadOnlyDictionary<string, string> Parameters, string Body)
{
    public string? Param(string name) => Parameters.TryGetValue(name, out var value) ? value : null;
}
