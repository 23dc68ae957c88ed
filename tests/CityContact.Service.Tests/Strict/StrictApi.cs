using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace CityContact.Service.Tests.Strict;

/// <summary>Assertions on the API's error answers: status, problem+json, the field named, and no internals.</summary>
public static class StrictApi
{
    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static string Unique(string stem) => $"{stem}-{Guid.NewGuid():N}"[..20];

    /// <summary>Asserts the answer and returns its error keys (empty when the problem has no <c>errors</c>).</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("_fkey", text, StringComparison.Ordinal);
        Assert.DoesNotContain("_key", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Implicit body", text, StringComparison.Ordinal);
        var problem = JsonSerializer.Deserialize<JsonElement>(text);
        if (field is not null)
        {
            Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"'{field}' not named in {text}");
        }
        return problem;
    }

    public static async Task<JsonElement> OkAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body) => client.PostAsJsonAsync(url, body);
}
