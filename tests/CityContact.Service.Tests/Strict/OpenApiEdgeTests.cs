using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Tickets;
using Xunit.Abstractions;

namespace CityContact.Service.Tests.Strict;

/// <summary>
/// Walks the service's own OpenAPI document and sends every operation malformed and hostile input: wrong types,
/// missing and unknown fields, empty and huge bodies, boundary numbers, bad dates and time zones, unicode,
/// injection-looking strings and ids that do not exist. No answer may be a 5xx; every 4xx is problem+json naming the
/// field or path (Open311: its own [{code, description}]); and the database is the same afterwards.
/// </summary>
public sealed class OpenApiEdgeTests(TicketServiceFixture service, ITestOutputHelper output) : IClassFixture<TicketServiceFixture>
{
    private const string MissingId = "987654321";

    private static readonly string[] HostileStrings =
    [
        "", " ", "x", new string('a', 100_000), "Ωμέγα 🚀 ăîșț \u200b", "\u0000\u0001", "'; DROP TABLE tickets; --", "' OR '1'='1",
        "<script>alert(1)</script>", "../../etc/passwd", "${jndi:ldap://x/a}", "%00", "Mars/Olympus", "2026-02-30", "9999-12-31T23:59:59+14:00",
    ];

    private static readonly JsonNode?[] HostileNumbers =
    [
        JsonValue.Create(-1), JsonValue.Create(0), JsonValue.Create(2147483648L), JsonValue.Create(long.MinValue), JsonValue.Create(1e308),
        JsonValue.Create(1.5), JsonValue.Create("12"), JsonValue.Create(true),
    ];

    private static readonly string[] HostileQueryValues =
    [
        "abc", "-1", "0", "99999999999999999999", "1.5", "maybe", "9999-12-31", "0001-01-01", "2026-02-30", "2026-13-45T99:00:00",
        "9999-12-31T23:59:59Z", "Mars/Olympus", new string('q', 5000), "' OR 1=1 --", "Ω🚀",
    ];

    private static readonly string[] RawBodies =
    [
        "", "null", "[]", "\"x\"", "42", "{", "{\"a\":", "{}", "{\"unknownField\":1}", "{\"__proto__\":{\"admin\":true}}",
        "[" + new string('[', 5000) + new string(']', 5000) + "]",
    ];

    [Fact]
    public async Task Every_operation_answers_malformed_and_hostile_input_with_a_4xx_problem_and_changes_nothing()
    {
        using var admin = service.Admin;
        var document = JsonNode.Parse(await admin.GetStringAsync("/swagger/v1/swagger.json"))!;
        var before = await SnapshotAsync();
        var failures = new List<string>();
        var sent = 0;
        var operations = 0;
        var statuses = new SortedDictionary<int, int>();

        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operationNode) in item!.AsObject())
            {
                if (operationNode is not JsonObject operation || method is "parameters")
                {
                    continue;
                }
                operations++;
                foreach (var request in RequestsFor(document, path, method.ToUpperInvariant(), operation))
                {
                    using var message = request.Build();
                    using var response = await admin.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
                    sent++;
                    var status = (int)response.StatusCode;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    if (status == 200 && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
                    {
                        // A live stream (wallboard, desk, chat) opened for a valid request: it never ends, so it is not read.
                        continue;
                    }
                    var body = await response.Content.ReadAsStringAsync();
                    if (Check(path, status, response.Content.Headers.ContentType?.MediaType, body) is { } failure)
                    {
                        failures.Add($"{request.Method} {Shorten(request.Url)} [{request.What}] → {status} {failure}: {Shorten(body)}");
                    }
                }
            }
        }

        var after = await SnapshotAsync();
        foreach (var (table, hash) in before)
        {
            if (after.GetValueOrDefault(table) != hash)
            {
                failures.Add($"table {table} changed" + (table == "audit_log" ? ": " + await LastAuditAsync() : ""));
            }
        }
        var summary = $"EDGES: {sent} requests over {operations} operations; statuses {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}; {failures.Count} failures";
        output.WriteLine(summary);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "openapi-edges.txt"), summary + "\n" + string.Join("\n", failures));
        Assert.True(operations >= 40, $"only {operations} operations in the OpenAPI document");
        Assert.True(failures.Count == 0, summary + "\n" + string.Join("\n", failures.Take(60)));
    }

    [Fact]
    public async Task Every_operation_has_a_summary_and_a_keys_role_is_an_enum()
    {
        using var admin = service.Admin;
        var document = JsonNode.Parse(await admin.GetStringAsync("/swagger/v1/swagger.json"))!;
        var missing = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(o => o.Value is JsonObject).Select(o => (Path: p.Key, Method: o.Key, Operation: o.Value!)))
            .Where(o => string.IsNullOrWhiteSpace((string?)o.Operation["summary"]))
            .Select(o => $"{o.Method} {o.Path}")
            .ToList();
        Assert.Empty(missing);
        var role = Resolve(document, document["components"]!["schemas"]!["CreateKeyRequest"])!["properties"]!["role"]!;
        Assert.Equal(["admin", "supervisor", "agent", "reporter"], role["enum"]!.AsArray().Select(v => (string?)v));
    }

    /// <summary>Null when the answer is acceptable for hostile input.</summary>
    private static string? Check(string path, int status, string? mediaType, string body)
    {
        if (status >= 500)
        {
            return "server error";
        }
        if (status < 400)
        {
            return null;
        }
        if (path.StartsWith("/open311/", StringComparison.Ordinal))
        {
            // GeoReport v2 errors: [{ "code": 400, "description": "…" }] (or the XML form for .xml).
            if (mediaType == "text/xml")
            {
                return body.Contains("<errors>", StringComparison.Ordinal) && body.Contains("<description>", StringComparison.Ordinal) ? null : "not an Open311 XML error";
            }
            try
            {
                var errors = JsonNode.Parse(body) as JsonArray;
                return errors is { Count: > 0 } && errors.All(e => e?["code"] is not null && e["description"]?.GetValue<string>() is { Length: > 0 })
                    ? null : "not an Open311 error list";
            }
            catch (JsonException)
            {
                return "not an Open311 error list";
            }
        }
        if (mediaType != "application/problem+json")
        {
            return $"not problem+json ({mediaType})";
        }
        var problem = JsonNode.Parse(body);
        if (problem?["title"] is null)
        {
            return "problem without a title";
        }
        if (status == 400 && problem["errors"] is not JsonObject { Count: > 0 })
        {
            return "400 without the field named in errors";
        }
        if (body.Contains("System.", StringComparison.Ordinal) || body.Contains("_fkey", StringComparison.Ordinal) || body.Contains("Implicit body", StringComparison.Ordinal))
        {
            return "internals in the answer";
        }
        return null;
    }

    private sealed record EdgeRequest(string Method, string Url, string What, Func<HttpContent?> Content)
    {
        public HttpRequestMessage Build() => new(new HttpMethod(Method), Url) { Content = Content() };
    }

    private static IEnumerable<EdgeRequest> RequestsFor(JsonNode document, string path, string method, JsonObject operation)
    {
        var parameters = (operation["parameters"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var pathParameters = parameters.Where(p => (string?)p["in"] == "path").ToList();
        var queryParameters = parameters.Where(p => (string?)p["in"] == "query").ToList();
        var bodySchema = BodySchema(document, operation, out var bodyMediaType);
        var open311 = path.StartsWith("/open311/", StringComparison.Ordinal);

        string Url(Dictionary<string, string>? overrides = null, string? query = null)
        {
            var url = path;
            foreach (var parameter in pathParameters)
            {
                var name = (string)parameter["name"]!;
                var value = overrides?.GetValueOrDefault(name) ?? BaseValue(name, parameter);
                url = url.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
            }
            return query is null ? url : url + "?" + query;
        }
        HttpContent? ValidBase() => bodySchema is null ? null : Json("{}");

        yield return new(method, Url(), "missing ids and fields", ValidBase);
        foreach (var parameter in pathParameters)
        {
            var name = (string)parameter["name"]!;
            foreach (var value in new[] { "-1", "0", "99999999999999999999", "abc", "Ω🚀", "' OR 1=1 --", new string('p', 3000), "..", "a.b" })
            {
                yield return new(method, Url(new() { [name] = value }), $"path {name}={Shorten(value)}", ValidBase);
            }
        }
        foreach (var parameter in queryParameters)
        {
            var name = (string)parameter["name"]!;
            foreach (var value in HostileQueryValues)
            {
                yield return new(method, Url(query: $"{name}={Uri.EscapeDataString(value)}"), $"query {name}={Shorten(value)}", ValidBase);
            }
        }
        if (open311 && method == "POST")
        {
            foreach (var request in Open311Posts(Url()))
            {
                yield return request;
            }
            yield break;
        }
        if (bodySchema is null && method is "GET" or "DELETE")
        {
            yield break;
        }
        foreach (var raw in RawBodies)
        {
            yield return new(method, Url(), $"body {Shorten(raw)}", () => Json(raw));
        }
        yield return new(method, Url(), "body text/plain", () => new StringContent("{}", Encoding.UTF8, "text/plain"));
        yield return new(method, Url(), "body of 3 MB", () => Json("{\"x\":\"" + new string('b', 3 << 20) + "\"}"));
        if (bodyMediaType is not null and not "application/json")
        {
            yield return new(method, Url(), $"body {bodyMediaType} garbage", () => new ByteArrayContent(Encoding.UTF8.GetBytes("RIFF garbage")) { Headers = { ContentType = new MediaTypeHeaderValue(bodyMediaType) } });
        }
        if (bodySchema is not JsonObject schema)
        {
            yield break;
        }
        foreach (var (property, propertySchema) in Properties(document, schema))
        {
            foreach (var value in ValuesFor(document, propertySchema))
            {
                var body = new JsonObject { [property] = value?.DeepClone() };
                var text = body.ToJsonString();
                yield return new(method, Url(), $"{property}={Shorten(value?.ToJsonString() ?? "null")}", () => Json(text));
            }
        }
    }

    /// <summary>Open311 files requests from forms: a valid key with every field hostile in turn.</summary>
    private static IEnumerable<EdgeRequest> Open311Posts(string url)
    {
        string[] fields = ["service_code", "lat", "long", "address_string", "email", "phone", "description", "media_url", "first_name"];
        yield return new("POST", url, "open311 json body", () => Json("{}"));
        yield return new("POST", url, "open311 empty form", () => new FormUrlEncodedContent([]));
        foreach (var field in fields)
        {
            foreach (var value in HostileStrings)
            {
                yield return new("POST", url, $"open311 {field}={Shorten(value)}", () => new FormUrlEncodedContent(
                    new Dictionary<string, string> { ["api_key"] = ServiceFactory.AdminKey, [field] = value }));
            }
        }
    }

    private static IEnumerable<JsonNode?> ValuesFor(JsonNode document, JsonNode? schema)
    {
        yield return null;
        yield return new JsonObject { ["nested"] = 1 };
        yield return new JsonArray(JsonValue.Create(1), null, new JsonObject());
        var type = TypeOf(document, schema);
        if (type is "integer" or "number")
        {
            foreach (var number in HostileNumbers)
            {
                yield return number?.DeepClone();
            }
            yield break;
        }
        if (type == "array")
        {
            yield return new JsonArray(HostileStrings.Take(8).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
            yield return new JsonArray(Enumerable.Range(0, 2000).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
            yield return new JsonArray(new JsonObject { ["unknownField"] = true });
            yield break;
        }
        yield return JsonValue.Create(12);
        yield return JsonValue.Create(false);
        foreach (var text in HostileStrings)
        {
            yield return JsonValue.Create(text);
        }
    }

    private static string? TypeOf(JsonNode document, JsonNode? schema)
    {
        schema = Resolve(document, schema);
        return schema?["type"] switch
        {
            JsonValue value => value.GetValue<string>(),
            JsonArray types => types.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t is not "null"),
            _ => (schema?["oneOf"] ?? schema?["anyOf"]) is JsonArray ? "object" : null,
        };
    }

    private static IEnumerable<(string Name, JsonNode? Schema)> Properties(JsonNode document, JsonObject schema) =>
        Resolve(document, schema)?["properties"] is JsonObject properties ? properties.Select(p => (p.Key, p.Value)) : [];

    private static JsonNode? BodySchema(JsonNode document, JsonObject operation, out string? mediaType)
    {
        mediaType = null;
        if (operation["requestBody"]?["content"] is not JsonObject content || content.Count == 0)
        {
            return null;
        }
        var (type, value) = content.FirstOrDefault(c => c.Key == "application/json") is { Value: not null } json ? json : content.First();
        mediaType = type;
        return Resolve(document, value?["schema"]) ?? new JsonObject();
    }

    private static JsonNode? Resolve(JsonNode document, JsonNode? schema)
    {
        for (var i = 0; i < 5 && schema?["$ref"] is JsonValue reference; i++)
        {
            var parts = reference.GetValue<string>().TrimStart('#', '/').Split('/');
            schema = parts.Aggregate((JsonNode?)document, (node, part) => node?[part]);
        }
        return schema;
    }

    private static string BaseValue(string name, JsonObject parameter) =>
        TypeOf(new JsonObject(), parameter["schema"]?.DeepClone()) is "integer" or "number" ? MissingId
        : name switch
        {
            "format" => "json",
            "kind" => "daily",
            "language" => "ro",
            _ => "nosuch",
        };

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + $"…({text.Length})";

    private async Task<string> LastAuditAsync()
    {
        await using var command = service.DataSource.CreateCommand("SELECT string_agg(action || ' ' || entity || ' ' || coalesce(entity_id, ''), '; ') FROM (SELECT * FROM audit_log ORDER BY id DESC LIMIT 5) a");
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Tables a body of one well-formed field may rightly add to: a broadcast needs only its text (it goes to every
    /// agent), an emergency group only its name (members are added after); the suite sends such bodies as edges.
    /// </summary>
    private static readonly string[] OneFieldCreates = ["broadcasts", "emergency_groups"];

    /// <summary>A hash of every table's rows (Quartz's own bookkeeping aside: its scheduler writes on its own).</summary>
    private async Task<Dictionary<string, string>> SnapshotAsync()
    {
        var tables = new List<string>();
        await using (var command = service.DataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'qrtz%' ORDER BY 1"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var hashes = new Dictionary<string, string>();
        foreach (var table in tables.Except(OneFieldCreates))
        {
            await using var command = service.DataSource.CreateCommand(
                $"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t");
            hashes[table] = (string)(await command.ExecuteScalarAsync())!;
        }
        return hashes;
    }
}
