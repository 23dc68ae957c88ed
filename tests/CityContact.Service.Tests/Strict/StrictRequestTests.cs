using System.Net;
using System.Net.Http.Json;
using System.Text;
using CityContact.Service.Tests.Tickets;
using static CityContact.Service.Tests.Strict.StrictApi;

namespace CityContact.Service.Tests.Strict;

/// <summary>The body rules every endpoint shares (Infrastructure/Http): nothing is dropped, coerced or answered in the framework's words.</summary>
public sealed class StrictRequestTests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    private async Task<long> CategoryAsync() => await service.NewCategoryAsync(Unique("c"), await service.NewDepartmentAsync(Unique("d")));

    [Fact]
    public async Task An_unknown_field_is_refused_naming_it_instead_of_being_dropped()
    {
        var category = await CategoryAsync();
        var before = await service.ScalarAsync<long>("SELECT count(*) FROM tickets");
        var response = await service.Admin.PostAsync("/api/tickets", Json($$"""{"kind":"complaint","description":"Hole","categoryId":{{category}},"status":"closed"}"""));
        await ProblemAsync(response, HttpStatusCode.BadRequest, "status");
        Assert.Equal(before, await service.ScalarAsync<long>("SELECT count(*) FROM tickets"));

        var agent = await service.Admin.PostAsync("/api/agents", Json("""{"name":"Ana","sipEndpoint":"PJSIP/strict-1","skills":[{"queueId":2}]}"""));
        await ProblemAsync(agent, HttpStatusCode.BadRequest, "skills[0].queueId");
    }

    [Fact]
    public async Task A_string_is_not_coerced_to_a_number()
    {
        var category = await CategoryAsync();
        var response = await service.Admin.PostAsync("/api/tickets", Json($$"""{"kind":"complaint","description":"Hole","categoryId":"{{category}}"}"""));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "categoryId");
        Assert.Contains("number", problem.GetProperty("errors").GetProperty("categoryId")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_body_and_a_wrong_media_type_are_problems_in_our_words()
    {
        await ProblemAsync(await service.Admin.PostAsync("/api/tickets", new StringContent("", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "$");
        await ProblemAsync(await service.Admin.PostAsync("/api/tickets", new ByteArrayContent([])), HttpStatusCode.BadRequest);
        await ProblemAsync(await service.Admin.PostAsync("/api/tickets", new StringContent("kind=complaint", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "$");
        await ProblemAsync(await service.Admin.PostAsync("/api/tickets", Json("{\"kind\":")), HttpStatusCode.BadRequest);
        await ProblemAsync(await service.Admin.PostAsync("/api/tickets", Json("[]")), HttpStatusCode.BadRequest, "$");
    }

    [Fact]
    public async Task A_conflict_names_the_field_not_the_constraint()
    {
        var category = await CategoryAsync();
        var created = await OkAsync(await service.Admin.PostAsJsonAsync("/api/tickets", new { kind = "complaint", description = "Hole", categoryId = category }), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetInt64();
        await ProblemAsync(await service.Admin.PostAsJsonAsync($"/api/tickets/{id}/assign", new { agentId = 987654321 }), HttpStatusCode.BadRequest, "agentId");

        var endpoint = $"PJSIP/{Unique("dup")}";
        await OkAsync(await service.Admin.PostAsJsonAsync("/api/agents", new { name = "Ana", sipEndpoint = endpoint }), HttpStatusCode.Created);
        await ProblemAsync(await service.Admin.PostAsJsonAsync("/api/agents", new { name = "Ana", sipEndpoint = endpoint }), HttpStatusCode.Conflict, "sipEndpoint");
    }
}
