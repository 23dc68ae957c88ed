using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Tests.Infrastructure;

namespace CityContact.Service.Tests.Api;

public sealed class ApiTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private HttpClient Admin => service.Factory.ClientWithKey(ServiceFactory.AdminKey);

    private async Task<string> NewKeyAsync(string role)
    {
        var response = await Admin.PostAsJsonAsync("/api/keys", new { name = $"{role} key", role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        return problem;
    }

    [Fact]
    public async Task Calls_without_a_key_answer_401_problem()
    {
        var problem = await ProblemAsync(await service.Factory.CreateClient().GetAsync("/api/calls"), HttpStatusCode.Unauthorized);
        Assert.Contains("X-Api-Key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calls_with_an_unknown_key_answer_401_problem()
    {
        await ProblemAsync(await service.Factory.ClientWithKey("cck_00000000_not-a-real-key-not-a-real-key-not-a-r").GetAsync("/api/calls"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Calls_with_an_agent_key_answer_403_problem()
    {
        var agent = service.Factory.ClientWithKey(await NewKeyAsync("agent"));
        await ProblemAsync(await agent.GetAsync("/api/calls"), HttpStatusCode.Forbidden);
        // The same key may read departments: the role decides, not the key.
        Assert.Equal(HttpStatusCode.OK, (await agent.GetAsync("/api/departments")).StatusCode);
    }

    [Fact]
    public async Task Calls_are_listed_for_the_admin_and_reporter_with_filters_and_timeline()
    {
        var calls = new CallStore(service.DataSource);
        var started = new DateTime(2026, 4, 1, 8, 0, 0, DateTimeKind.Utc);
        var answered = await calls.StartAsync(new NewCall("api-1", "+40711111111", "0800", "ro", started), null, CancellationToken.None);
        await calls.EndAsync(answered.Id, new CallEnd(started.AddMinutes(2), CallOutcomes.Answered), CancellationToken.None);
        var abandoned = await calls.StartAsync(new NewCall("api-2", "+40722222222", "0800", "en", started.AddHours(1)), null, CancellationToken.None);
        await calls.EndAsync(abandoned.Id, new CallEnd(started.AddHours(1).AddMinutes(1), CallOutcomes.Abandoned), CancellationToken.None);

        var all = await Admin.GetFromJsonAsync<JsonElement>("/api/calls?from=2026-04-01T00:00:00Z&to=2026-04-02T00:00:00Z");
        Assert.Equal(2, all.GetProperty("total").GetInt64());
        Assert.Equal([abandoned.Id, answered.Id], all.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("id").GetInt64()));

        var reporter = service.Factory.ClientWithKey(await NewKeyAsync("reporter"));
        var filtered = await reporter.GetFromJsonAsync<JsonElement>("/api/calls?outcome=abandoned&caller=%2B40722222222&limit=1");
        Assert.Equal(abandoned.Id, Assert.Single(filtered.GetProperty("items").EnumerateArray()).GetProperty("id").GetInt64());

        var detail = await reporter.GetFromJsonAsync<JsonElement>($"/api/calls/{answered.Id}");
        Assert.Equal("answered", detail.GetProperty("call").GetProperty("outcome").GetString());
        Assert.Equal(["started", "ended"], detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task An_unknown_call_is_404_problem()
    {
        await ProblemAsync(await Admin.GetAsync("/api/calls/987654321"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("offset=-1", "offset")]
    [InlineData("outcome=lost", "outcome")]
    public async Task A_bad_query_parameter_is_400_naming_it(string query, string field)
    {
        var problem = await ProblemAsync(await Admin.GetAsync($"/api/calls?{query}"), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task An_unparsable_query_parameter_is_400_naming_it()
    {
        var problem = await ProblemAsync(await Admin.GetAsync("/api/calls?limit=ten"), HttpStatusCode.BadRequest);
        Assert.Contains("limit", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_json_is_400_naming_the_field_and_stores_nothing()
    {
        var before = await Admin.GetFromJsonAsync<JsonElement>("/api/departments?limit=500");

        var wrongType = await Admin.PostAsync("/api/departments", Json("""{"code": 42, "name": "Numbers"}"""));
        var problem = await ProblemAsync(wrongType, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("code", out _));
        await ProblemAsync(await Admin.PostAsync("/api/departments", Json("""{"code": "broken", "name": """)), HttpStatusCode.BadRequest);

        var after = await Admin.GetFromJsonAsync<JsonElement>("/api/departments?limit=500");
        Assert.Equal(before.GetProperty("total").GetInt64(), after.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Invalid_fields_are_400_with_errors_keyed_by_field_and_store_nothing()
    {
        var problem = await ProblemAsync(await Admin.PostAsJsonAsync("/api/departments", new { code = "Bad Code", name = "", email = "nope" }), HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.Equal(["code", "email", "name"], errors.EnumerateObject().Select(p => p.Name).Order());
        var listed = await Admin.GetFromJsonAsync<JsonElement>("/api/departments?search=Bad%20Code");
        Assert.Equal(0, listed.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Departments_are_created_read_updated_and_deleted_by_admin_and_audited()
    {
        var created = await Admin.PostAsJsonAsync("/api/departments", new { code = "urbanism", name = "Urbanism", email = "urbanism@city.example" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var department = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = department.GetProperty("id").GetInt64();
        Assert.Equal($"/api/departments/{id}", created.Headers.Location?.OriginalString);

        var duplicate = await Admin.PostAsJsonAsync("/api/departments", new { code = "urbanism", name = "Again" });
        await ProblemAsync(duplicate, HttpStatusCode.Conflict);

        var updated = await Admin.PutAsJsonAsync($"/api/departments/{id}", new { code = "urbanism", name = "Urbanism and planning" });
        Assert.Equal("Urbanism and planning", (await updated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
        var reporter = service.Factory.ClientWithKey(await NewKeyAsync("reporter"));
        Assert.Equal(HttpStatusCode.OK, (await reporter.GetAsync($"/api/departments/{id}")).StatusCode);
        await ProblemAsync(await reporter.DeleteAsync($"/api/departments/{id}"), HttpStatusCode.Forbidden);

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/departments/{id}")).StatusCode);
        await ProblemAsync(await Admin.GetAsync($"/api/departments/{id}"), HttpStatusCode.NotFound);
        var audit = await new Features.Audit.AuditLog(service.DataSource).ListForAsync("department", id.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
        Assert.Equal(["department.created", "department.updated", "department.deleted"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal("bootstrap", a.Actor));
    }

    [Fact]
    public async Task A_created_key_works_until_revoked_and_its_secret_is_never_listed()
    {
        var response = await Admin.PostAsJsonAsync("/api/keys", new { name = "night supervisor", role = "supervisor" });
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var secret = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetInt64();
        var supervisor = service.Factory.ClientWithKey(secret);

        Assert.Equal(HttpStatusCode.OK, (await supervisor.GetAsync("/api/calls")).StatusCode);
        await ProblemAsync(await supervisor.GetAsync("/api/keys"), HttpStatusCode.Forbidden);
        var listed = await Admin.GetStringAsync("/api/keys?limit=500");
        Assert.Contains(created.GetProperty("prefix").GetString()!, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/api/keys/{id}")).StatusCode);
        await ProblemAsync(await supervisor.GetAsync("/api/calls"), HttpStatusCode.Unauthorized);
        await ProblemAsync(await Admin.DeleteAsync("/api/keys/987654321"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_key_with_an_unknown_role_is_refused()
    {
        var problem = await ProblemAsync(await Admin.PostAsJsonAsync("/api/keys", new { name = "x", role = "mayor" }), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("role", out _));
    }

    [Fact]
    public async Task Health_metrics_and_swagger_need_no_key()
    {
        var anonymous = service.Factory.CreateClient();
        Assert.Equal("Healthy", await anonymous.GetStringAsync("/health/live"));
        var ready = await anonymous.GetFromJsonAsync<JsonElement>("/health/ready");
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Equal(["ami", "ari", "database"], ready.GetProperty("checks").EnumerateObject().Select(c => c.Name).Order());
        Assert.Contains("http_request_duration_seconds", await anonymous.GetStringAsync("/metrics"), StringComparison.Ordinal);
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/swagger/v1/swagger.json");
        Assert.Equal("X-Api-Key", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString());
        var responses = document.GetProperty("paths").GetProperty("/api/calls").GetProperty("get").GetProperty("responses");
        Assert.Equal(["200", "400", "401", "403"], responses.EnumerateObject().Select(r => r.Name).Order());
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");
}
