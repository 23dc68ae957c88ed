using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Tickets;
using static CityContact.Service.Tests.Strict.StrictApi;

namespace CityContact.Service.Tests.Strict;

/// <summary>Personal data leaves only with an audit row, masked for reporters, never through public Open311 for phone tickets.</summary>
public sealed class PrivacyTests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    private async Task<long> AuditCountAsync(long ticketId) =>
        await service.ScalarAsync<long>("SELECT count(*) FROM audit_log WHERE entity = 'ticket' AND entity_id = @id", ("id", ticketId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public async Task Every_change_that_answers_the_citizens_contact_writes_an_audit_row()
    {
        var category = await service.NewCategoryAsync(Unique("c"), await service.NewDepartmentAsync(Unique("d")));
        var (_, _, key) = await service.NewKeyAsync("agent");
        using var agent = service.Client(key);
        var ticket = await OkAsync(await agent.PostAsJsonAsync("/api/tickets", new
        {
            kind = "complaint", description = "Hole", categoryId = category, citizenName = "Ion Popescu", citizenPhone = "0722 123 456",
        }), HttpStatusCode.Created);
        var id = ticket.GetProperty("id").GetInt64();
        var agentId = await service.ScalarAsync<long>("INSERT INTO agents (name, sip_endpoint) VALUES ('Ana', @e) RETURNING id", ("e", $"PJSIP/{Unique("p")}"));

        async Task ChangedAndAuditedAsync(string route, object body)
        {
            var before = await AuditCountAsync(id);
            var answer = await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/{route}", body));
            Assert.Equal("Ion Popescu", answer.GetProperty("citizenName").GetString());
            Assert.Equal(before + 1, await AuditCountAsync(id));
        }
        await ChangedAndAuditedAsync("assign", new { agentId });
        await ChangedAndAuditedAsync("notes", new { note = "called back" });
        await ChangedAndAuditedAsync("status", new { status = "in_progress" });
        await ChangedAndAuditedAsync("resolve", new { resolution = "Patched" });
        await ChangedAndAuditedAsync("rating", new { rating = 5 });
        Assert.Equal(5, await service.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE entity_id = @id AND action LIKE 'ticket.read_after_%'", ("id", id.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    [Fact]
    public async Task A_reporter_sees_masked_caller_numbers_and_a_supervisor_whole_ones()
    {
        var calls = new CallStore(service.DataSource);
        var call = await calls.StartAsync(new NewCall($"privacy-{Guid.NewGuid():N}", "+40733444555", "0800", "ro", DateTime.UtcNow), null, CancellationToken.None);
        var (_, _, reporterKey) = await service.NewKeyAsync("reporter");
        var (_, _, supervisorKey) = await service.NewKeyAsync("supervisor");

        var asReporter = await OkAsync(await service.Client(reporterKey).GetAsync($"/api/calls/{call.Id}"));
        var listed = await OkAsync(await service.Client(reporterKey).GetAsync("/api/calls?limit=500"));
        var asSupervisor = await OkAsync(await service.Client(supervisorKey).GetAsync($"/api/calls/{call.Id}"));

        Assert.DoesNotContain("40733444555", asReporter.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("40733444555", listed.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("+40733444555", asSupervisor.GetProperty("call").GetProperty("caller").GetString());
    }

    [Fact]
    public async Task Public_open311_shows_no_ticket_filed_by_phone_and_refuses_an_end_before_the_start()
    {
        var code = Unique("svc");
        var category = await service.NewCategoryAsync(code, await service.NewDepartmentAsync(Unique("d")));
        var byPhone = await OkAsync(await service.Admin.PostAsJsonAsync("/api/tickets", new { kind = "complaint", channel = "phone", description = "Hole", categoryId = category }), HttpStatusCode.Created);
        var id = byPhone.GetProperty("id").GetInt64();
        var number = byPhone.GetProperty("number").GetString()!;
        await OkAsync(await service.Admin.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { resolution = "Told Mr Popescu at Str. Lunga 4 it is done" }));

        using var anonymous = service.Client(null);
        var one = await anonymous.GetAsync($"/open311/v2/requests/{number}.json");
        Assert.Equal(HttpStatusCode.NotFound, one.StatusCode);
        var all = await anonymous.GetStringAsync($"/open311/v2/requests.json?service_code={code}");
        Assert.DoesNotContain("Popescu", all, StringComparison.Ordinal);
        Assert.DoesNotContain(number, all, StringComparison.Ordinal);

        var backwards = await anonymous.GetAsync("/open311/v2/requests.json?start_date=2026-03-10T00:00:00Z&end_date=2026-03-01T00:00:00Z");
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Contains("end_date", (await backwards.Content.ReadFromJsonAsync<JsonElement>())[0].GetProperty("description").GetString(), StringComparison.Ordinal);
    }
}

/// <summary>Behind a trusted proxy the limiter counts the client's address from X-Forwarded-For, not the proxy's.</summary>
public sealed class ForwardedForTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task One_client_guessing_behind_the_proxy_does_not_lock_out_another()
    {
        // TestServer's connections carry no remote address, which the middleware treats as the proxy's; the listed ones are for a real host.
        await using var factory = new ServiceFactory(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Http:TrustedProxies:0"] = "127.0.0.1",
            ["Http:TrustedProxies:1"] = "::1",
        });
        HttpClient From(string address, string key)
        {
            var client = factory.CreateClient();
            client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            return client;
        }
        var guesser = From("203.0.113.7", "cck_0badc0de_guessing-guessing-guessing-guessing-gue");
        for (var attempt = 1; attempt <= 21; attempt++)
        {
            await guesser.GetAsync("/api/calls");
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await guesser.GetAsync("/api/calls")).StatusCode);
        var neighbour = From("198.51.100.9", "cck_0badc0de_another-typo-another-typo-another-typ");
        Assert.Equal(HttpStatusCode.Unauthorized, (await neighbour.GetAsync("/api/calls")).StatusCode);
    }
}
