using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Tickets;
using static CityContact.Service.Tests.Strict.StrictApi;

namespace CityContact.Service.Tests.Strict;

/// <summary>The admin work the API lacked: queues, agents' changes and removal, a department's schedule, seeded categories; every change audited.</summary>
public sealed class AdminApiTests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    private async Task<List<string>> AuditAsync(string entity, long id)
    {
        var rows = new List<string>();
        await using var command = service.DataSource.CreateCommand("SELECT action FROM audit_log WHERE entity = @entity AND entity_id = @id ORDER BY id");
        command.Parameters.AddWithValue("entity", entity);
        command.Parameters.AddWithValue("id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }
        return rows;
    }

    [Fact]
    public async Task A_new_installation_lists_the_usual_city_hall_categories_in_open311()
    {
        var services = await service.Client(null).GetFromJsonAsync<JsonElement>("/open311/v2/services.json");
        var codes = services.EnumerateArray().Select(s => s.GetProperty("service_code").GetString()).ToList();
        Assert.Contains("pothole", codes);
        Assert.Contains("waste-collection", codes);
        Assert.True(codes.Count >= 10, string.Join(", ", codes));
        Assert.All(services.EnumerateArray(), s => Assert.False(string.IsNullOrEmpty(s.GetProperty("group").GetString())));
    }

    [Fact]
    public async Task A_queue_is_created_changed_and_removed_with_audit_rows()
    {
        var department = await service.NewDepartmentAsync(Unique("d"));
        var code = Unique("q");
        var created = await OkAsync(await service.Admin.PostAsJsonAsync("/api/queues", new { code, name = "Parking permits", departmentId = department }), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetInt64();
        Assert.Equal(code, created.GetProperty("skill").GetString());
        var listed = await OkAsync(await service.Admin.GetAsync("/api/queues"));
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), q => q.GetProperty("code").GetString() == code);

        var changed = await OkAsync(await service.Admin.PutAsJsonAsync($"/api/queues/{id}", new { code, name = "Parking", departmentId = department, maxCallers = 5 }));
        Assert.Equal(5, changed.GetProperty("maxCallers").GetInt32());
        await ProblemAsync(await service.Admin.PutAsJsonAsync($"/api/queues/{id}", new { code, name = "Parking", departmentId = department, maxCallers = 0 }), HttpStatusCode.BadRequest, "maxCallers");
        await ProblemAsync(await service.Admin.PostAsJsonAsync("/api/queues", new { code, name = "Again", departmentId = department }), HttpStatusCode.Conflict, "code");
        await ProblemAsync(await service.Admin.PostAsJsonAsync("/api/queues", new { code = Unique("q"), name = "Nowhere", departmentId = 987654321 }), HttpStatusCode.BadRequest, "departmentId");

        Assert.Equal(HttpStatusCode.NoContent, (await service.Admin.DeleteAsync($"/api/queues/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await service.Admin.GetAsync($"/api/queues/{id}")).StatusCode);
        Assert.Equal(["queue.created", "queue.updated", "queue.deleted"], await AuditAsync("queue", id));
    }

    [Fact]
    public async Task A_queue_a_live_flow_sends_callers_to_cannot_be_removed()
    {
        var queues = await OkAsync(await service.Admin.GetAsync("/api/queues"));
        var taxes = queues.GetProperty("items").EnumerateArray().Single(q => q.GetProperty("code").GetString() == "taxes").GetProperty("id").GetInt64();
        await ProblemAsync(await service.Admin.DeleteAsync($"/api/queues/{taxes}"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task An_agent_is_changed_with_its_skills_and_removed_from_service_with_audit_rows()
    {
        var endpoint = $"PJSIP/{Unique("a")}";
        var created = await OkAsync(await service.Admin.PostAsJsonAsync("/api/agents", new
        {
            name = "Ana", sipEndpoint = endpoint, skills = new object[] { new { skill = "taxes", penalty = 0 } },
        }), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetInt64();
        var changed = await OkAsync(await service.Admin.PutAsJsonAsync($"/api/agents/{id}", new
        {
            name = "Ana Pop", sipEndpoint = endpoint, email = "ana@example.org",
            skills = new object[] { new { skill = "documents", penalty = 5 }, new { skill = "taxes", penalty = 1 } },
        }));
        Assert.Equal("Ana Pop", changed.GetProperty("name").GetString());
        var read = await OkAsync(await service.Admin.GetAsync($"/api/agents/{id}"));
        Assert.Equal(["taxes", "documents"], read.GetProperty("skills").EnumerateArray().Select(s => s.GetProperty("skill").GetString()));
        await ProblemAsync(await service.Admin.PutAsJsonAsync($"/api/agents/{id}", new { name = "Ana", sipEndpoint = endpoint, skills = new object[] { new { skill = "x", penalty = 101 } } }),
            HttpStatusCode.BadRequest, "skills[0].penalty");

        Assert.Equal(HttpStatusCode.NoContent, (await service.Admin.DeleteAsync($"/api/agents/{id}")).StatusCode);
        var removed = await OkAsync(await service.Admin.GetAsync($"/api/agents/{id}"));
        Assert.False(removed.GetProperty("active").GetBoolean());
        Assert.Empty(removed.GetProperty("skills").EnumerateArray());
        var floor = await OkAsync(await service.Admin.GetAsync("/api/agents"));
        Assert.DoesNotContain(floor.GetProperty("items").EnumerateArray(), a => a.GetProperty("id").GetInt64() == id);
        Assert.Equal(["agent.created", "agent.updated", "agent.removed"], await AuditAsync("agent", id));
    }

    [Fact]
    public async Task A_departments_schedule_is_set_and_schedule_edits_are_audited()
    {
        var department = await service.NewDepartmentAsync(Unique("d"));
        var schedule = await OkAsync(await service.Admin.PostAsJsonAsync("/api/ivr/schedules", new
        {
            code = Unique("s"), name = "Roads crew", timeZone = "Europe/Bucharest",
            hours = new object[] { new { dayOfWeek = 1, opens = "07:00", closes = "15:00" } },
        }), HttpStatusCode.Created);
        var scheduleId = schedule.GetProperty("id").GetInt64();

        var set = await OkAsync(await service.Admin.PutAsJsonAsync($"/api/departments/{department}/schedule", new { scheduleId }));
        Assert.Equal(scheduleId, set.GetProperty("scheduleId").GetInt64());
        await ProblemAsync(await service.Admin.PutAsJsonAsync($"/api/departments/{department}/schedule", new { scheduleId = 987654321 }), HttpStatusCode.BadRequest, "scheduleId");
        Assert.Contains("department.schedule_set", await AuditAsync("department", department));
        Assert.Equal(["schedule.created"], await AuditAsync("schedule", scheduleId));
    }
}
