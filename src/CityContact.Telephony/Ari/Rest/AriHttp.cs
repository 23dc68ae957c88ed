using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace CityContact.Telephony.Ari.Rest;

/// <summary>
/// One ARI request: URL under <c>ari/</c>, Basic authorization header (never credentials in the URL,
/// which ends up in logs), per-request timeout, and error statuses turned into <see cref="AriException"/>s.
/// </summary>
internal sealed class AriHttp(HttpClient http, AriOptions options)
{
    private readonly AuthenticationHeaderValue _authorization = new("Basic", options.BasicAuthorization);
    private readonly Uri _root = new(options.Root, "ari/");

    public string App => options.App;

    public async Task SendAsync(HttpMethod method, string path, AriQuery? query, HttpContent? body, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, query, body, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, AriQuery? query, JsonTypeInfo<T> result, HttpContent? body, CancellationToken cancellationToken)
    {
        using var response = await SendCoreAsync(method, path, query, body, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync(stream, result, cancellationToken)
            ?? throw new AriException($"ARI {method} {path} returned an empty body");
    }

    /// <summary>
    /// <see cref="SendAsync(HttpMethod, string, AriQuery?, HttpContent?, CancellationToken)"/> for a request that does no
    /// harm when Asterisk sees it twice (answer, hang-up, play with our own id): a transport failure (a connection reset,
    /// a response that ended prematurely, as Asterisk does beyond its HTTP session limit) is retried up to
    /// <see cref="AriOptions.TransientRetries"/> times. Error statuses and timeouts are not retried.
    /// </summary>
    public Task SendRetryingAsync(HttpMethod method, string path, AriQuery? query, CancellationToken cancellationToken) =>
        RetryingAsync(() => SendAsync(method, path, query, null, cancellationToken), cancellationToken);

    /// <inheritdoc cref="SendRetryingAsync(HttpMethod, string, AriQuery?, CancellationToken)"/>
    public Task<T> SendRetryingAsync<T>(HttpMethod method, string path, AriQuery? query, JsonTypeInfo<T> result, CancellationToken cancellationToken) =>
        RetryingAsync(() => SendAsync(method, path, query, result, null, cancellationToken), cancellationToken);

    private async Task RetryingAsync(Func<Task> send, CancellationToken cancellationToken) =>
        await RetryingAsync(async () =>
        {
            await send();
            return true;
        }, cancellationToken);

    private async Task<T> RetryingAsync<T>(Func<Task<T>> send, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await send();
            }
            catch (HttpRequestException) when (attempt <= options.TransientRetries && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(options.TransientRetryDelay * attempt, cancellationToken);
            }
        }
    }

    /// <summary>The caller owns the response (a recording download streams from it).</summary>
    public Task<HttpResponseMessage> SendStreamingAsync(HttpMethod method, string path, CancellationToken cancellationToken) =>
        SendCoreAsync(method, path, null, null, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, AriQuery? query, HttpContent? body,
        HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var uri = new Uri(_root, query is null || query.IsEmpty ? path : path + "?" + query);
        using var request = new HttpRequestMessage(method, uri) { Content = body };
        request.Headers.Authorization = _authorization;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, completion, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"ARI {method} /ari/{path} got no answer within {options.RequestTimeout}", ex);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw ToException(response.StatusCode, response.ReasonPhrase ?? "", text, method.Method, "/ari/" + path);
        }
    }

    internal static AriException ToException(HttpStatusCode status, string reason, string body, string method, string path)
    {
        var message = AsteriskMessageOf(body);
        return (int)status switch
        {
            400 => new AriBadRequestException(status, reason, message, method, path),
            401 or 403 => new AriAuthenticationException(status, reason, message, method, path),
            404 => new AriNotFoundException(status, reason, message, method, path),
            405 => new AriMethodNotAllowedException(status, reason, message, method, path),
            409 => new AriConflictException(status, reason, message, method, path),
            422 => new AriUnprocessableException(status, reason, message, method, path),
            >= 500 => new AriServerErrorException(status, reason, message, method, path),
            _ => new AriException(status, reason, message, method, path),
        };
    }

    // Asterisk's error bodies are {"message": …}, except a few failures that use {"error": …};
    // a proxy or the upgrade path may answer with HTML, which is kept short.
    private static string AsteriskMessageOf(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var key in (ReadOnlySpan<string>)["message", "error"])
                {
                    if (document.RootElement.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        return value.GetString()!;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to the raw text.
        }
        return body.Length <= 200 ? body : body[..200] + "…";
    }

    public static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>The JSON body <c>{"allowed": [{"type": …}, …], "disallowed": []}</c> of an application's event filter.</summary>
    public static HttpContent EventFilterBody(IEnumerable<string> allowedTypes)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("allowed");
            foreach (var type in allowedTypes)
            {
                writer.WriteStartObject();
                writer.WriteString("type", type);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartArray("disallowed");
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    /// <summary>The JSON body <c>{"variables": {…}}</c> that originate, create and bridge creation accept.</summary>
    public static HttpContent? VariablesBody(IReadOnlyDictionary<string, string>? variables)
    {
        if (variables is null || variables.Count == 0)
        {
            return null;
        }
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("variables");
            foreach (var (name, value) in variables)
            {
                writer.WriteString(name, value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}

/// <summary>Query parameters named exactly as in the ARI schema; null values are left out.</summary>
internal sealed class AriQuery
{
    private readonly StringBuilder _text = new();

    public bool IsEmpty => _text.Length == 0;

    public AriQuery Add(string name, string? value)
    {
        if (value is null)
        {
            return this;
        }
        if (_text.Length > 0)
        {
            _text.Append('&');
        }
        _text.Append(name).Append('=').Append(Uri.EscapeDataString(value));
        return this;
    }

    public AriQuery Add(string name, int? value) =>
        value is null ? this : Add(name, value.Value.ToString(CultureInfo.InvariantCulture));

    public AriQuery Add(string name, bool? value) =>
        value is null ? this : Add(name, value.Value ? "true" : "false");

    /// <summary>ARI takes durations in whole seconds.</summary>
    public AriQuery AddSeconds(string name, TimeSpan? value) =>
        value is null ? this : Add(name, (int)Math.Ceiling(value.Value.TotalSeconds));

    public AriQuery AddMilliseconds(string name, TimeSpan? value) =>
        value is null ? this : Add(name, (int)value.Value.TotalMilliseconds);

    public override string ToString() => _text.ToString();
}
