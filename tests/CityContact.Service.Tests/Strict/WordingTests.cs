using System.Net;
using System.Net.Http.Json;
using CityContact.Service.Tests.Tickets;
using static CityContact.Service.Tests.Strict.StrictApi;

namespace CityContact.Service.Tests.Strict;

/// <summary>Answers say things right: the article before a status, and a field named as the request named it.</summary>
public sealed class WordingTests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    [Fact]
    public async Task A_refused_move_reads_an_assigned_ticket()
    {
        var category = await service.NewCategoryAsync(Unique("c"), await service.NewDepartmentAsync(Unique("d")));
        var ticket = await OkAsync(await service.Admin.PostAsJsonAsync("/api/tickets", new { kind = "complaint", description = "Hole", categoryId = category }), HttpStatusCode.Created);
        var id = ticket.GetProperty("id").GetInt64();
        var agentId = await service.ScalarAsync<long>("INSERT INTO agents (name, sip_endpoint) VALUES ('Ana', @e) RETURNING id", ("e", $"PJSIP/{Unique("w")}"));
        await OkAsync(await service.Admin.PostAsJsonAsync($"/api/tickets/{id}/assign", new { agentId }));
        var refused = await ProblemAsync(await service.Admin.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "new" }), HttpStatusCode.Conflict);
        Assert.StartsWith("An assigned ticket", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_categorys_group_comes_back_as_group()
    {
        var id = await service.NewCategoryAsync(Unique("c"), await service.NewDepartmentAsync(Unique("d")));
        var category = await OkAsync(await service.Admin.GetAsync($"/api/ticket-categories/{id}"));
        Assert.Equal("Streets", category.GetProperty("group").GetString());
        Assert.False(category.TryGetProperty("groupName", out _));
    }
}
