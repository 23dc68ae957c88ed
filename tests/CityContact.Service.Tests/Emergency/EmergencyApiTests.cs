using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Ivr;
using Dapper;
using Npgsql;

namespace CityContact.Service.Tests.Emergency;

/// <summary>The emergency groups' admin API, the group chat with its live stream, and supervisors' broadcasts.</summary>
public sealed class EmergencyApiTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    private static CancellationToken Ct => TestContext.Timeout(30);

    private HttpClient Admin => service.Factory.ClientWithKey(ServiceFactory.AdminKey);

    private async Task<HttpClient> ClientAsync(string role)
    {
        var response = await Admin.PostAsJsonAsync("/api/keys", new { name = $"{role} key", role }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return service.Factory.ClientWithKey((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetString()!);
    }

    private static async Task<JsonElement> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
    }

    private async Task<long> GroupAsync(string name, object[]? members = null)
    {
        var response = await Admin.PostAsJsonAsync("/api/emergency/groups", new
        {
            name, members = members ?? [new { kind = "phone", endpoint = "PJSIP/agent1", name = "Duty officer" }],
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task A_group_is_refused_with_the_field_named_and_an_outside_number_must_be_on_the_allow_list()
    {
        var errors = await ErrorsAsync(await Admin.PostAsJsonAsync("/api/emergency/groups", new
        {
            name = "", conveneRole = "mayor", ringSeconds = 1, retries = 11,
            members = new object[]
            {
                new { kind = "external", endpoint = "+40722000111", name = "Head of roads" },
                new { kind = "phone", endpoint = "sip:101", name = "x" },
                new { kind = "agent", agentId = 987654 },
                new { kind = "robot" },
            },
        }, Ct));
        foreach (var field in new[] { "name", "conveneRole", "ringSeconds", "retries", "members[0]", "members[1]", "members[2]", "members[3]" })
        {
            Assert.True(errors.TryGetProperty(field, out _), field);
        }

        Assert.Equal(HttpStatusCode.OK, (await Admin.PostAsJsonAsync("/api/emergency/allowed-numbers", new { number = "+40722000111", label = "Roads" }, Ct)).StatusCode);
        var groupId = await GroupAsync("Floods", [new { kind = "external", endpoint = "+40722000111", name = "Head of roads" }]);
        var group = await Admin.GetFromJsonAsync<JsonElement>($"/api/emergency/groups/{groupId}", Ct);
        Assert.Equal("external", group.GetProperty("members")[0].GetProperty("kind").GetString());
        // The number cannot leave the allow-list while a member uses it.
        Assert.Equal(HttpStatusCode.Conflict, (await Admin.DeleteAsync("/api/emergency/allowed-numbers/+40722000111", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await Admin.PostAsJsonAsync("/api/emergency/groups", new { name = "Floods" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Only_the_role_the_group_names_may_convene_it_and_only_an_admin_defines_groups()
    {
        var groupId = await GroupAsync("Heat wave");
        var agent = await ClientAsync("agent");
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsJsonAsync("/api/emergency/groups", new { name = "Mine" }, Ct)).StatusCode);
        var refused = await agent.PostAsync($"/api/emergency/groups/{groupId}/convene", null, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("supervisor", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.PostAsync("/api/emergency/groups/987654/convene", null, Ct)).StatusCode);
        await using var connection = new NpgsqlConnection(service.ConnectionString);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM emergency_conferences WHERE group_id = @groupId", new { groupId }));
    }

    [Fact]
    public async Task A_chat_message_is_stored_in_the_groups_timeline_and_pushed_live_to_a_stream_opened_before_it()
    {
        var groupId = await GroupAsync("Storm");
        var supervisor = await ClientAsync("supervisor");
        var agent = await ClientAsync("agent");
        Assert.Equal(HttpStatusCode.Created, (await supervisor.PostAsJsonAsync($"/api/emergency/groups/{groupId}/messages", new { text = "Before the stream" }, Ct)).StatusCode);

        using var stream = await agent.GetAsync($"/api/emergency/groups/{groupId}/stream", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(Ct));
        var stored = await NextEventAsync(reader);
        Assert.Equal("Before the stream", stored.GetProperty("body").GetString());

        var posted = await supervisor.PostAsJsonAsync($"/api/emergency/groups/{groupId}/messages", new { text = "Roads closed on the east side" }, Ct);
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);

        var live = await NextEventAsync(reader);
        Assert.Equal("message", live.GetProperty("kind").GetString());
        Assert.Equal("Roads closed on the east side", live.GetProperty("body").GetString());
        var timeline = await agent.GetFromJsonAsync<JsonElement>($"/api/emergency/groups/{groupId}/timeline", Ct);
        Assert.Equal(["Before the stream", "Roads closed on the east side"], timeline.EnumerateArray().Select(e => e.GetProperty("body").GetString()));
        Assert.True((await ErrorsAsync(await agent.PostAsJsonAsync($"/api/emergency/groups/{groupId}/messages", new { text = " " }, Ct))).TryGetProperty("text", out _));
    }

    [Fact]
    public async Task A_broadcast_to_one_department_reaches_that_departments_stream_and_not_anothers()
    {
        await using var connection = new NpgsqlConnection(service.ConnectionString);
        var taxes = await connection.ExecuteScalarAsync<long>("INSERT INTO departments (code, name) VALUES ('bc-taxes', 'Taxes') RETURNING id");
        var roads = await connection.ExecuteScalarAsync<long>("INSERT INTO departments (code, name) VALUES ('bc-roads', 'Roads') RETURNING id");
        var supervisor = await ClientAsync("supervisor");
        var agent = await ClientAsync("agent");
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostAsJsonAsync("/api/broadcasts", new { text = "hi" }, Ct)).StatusCode);
        Assert.True((await ErrorsAsync(await supervisor.PostAsJsonAsync("/api/broadcasts", new { text = "x", departmentId = 987654 }, Ct))).TryGetProperty("departmentId", out _));
        var after = (await supervisor.GetFromJsonAsync<JsonElement>("/api/broadcasts", Ct)).EnumerateArray().Select(b => b.GetProperty("id").GetInt64()).DefaultIfEmpty(0).Max();

        using var roadsStream = await agent.GetAsync($"/api/broadcasts/stream?departmentId={roads}&afterId={after}", HttpCompletionOption.ResponseHeadersRead, Ct);
        using var roadsReader = new StreamReader(await roadsStream.Content.ReadAsStreamAsync(Ct));
        Assert.Equal(HttpStatusCode.Created, (await supervisor.PostAsJsonAsync("/api/broadcasts", new { text = "Taxes only", departmentId = taxes }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await supervisor.PostAsJsonAsync("/api/broadcasts", new { text = "Everyone: the storm plan is active" }, Ct)).StatusCode);

        // The first event the roads desk receives is the one for all agents: the taxes one was never sent to it.
        var received = await NextEventAsync(roadsReader);
        Assert.Equal("Everyone: the storm plan is active", received.GetProperty("body").GetString());
        var forTaxes = await agent.GetFromJsonAsync<JsonElement>($"/api/broadcasts?departmentId={taxes}&afterId={after}", Ct);
        Assert.Equal(["Taxes only", "Everyone: the storm plan is active"], forTaxes.EnumerateArray().Select(b => b.GetProperty("body").GetString()));
        await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("DELETE FROM broadcasts"));
    }

    private static async Task<JsonElement> NextEventAsync(StreamReader reader)
    {
        var ct = Ct;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonSerializer.Deserialize<JsonElement>(line["data: ".Length..]);
            }
        }
        throw new EndOfStreamException();
    }
}
