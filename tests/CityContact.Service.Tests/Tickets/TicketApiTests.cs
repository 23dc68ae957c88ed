using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Schedules;
using CityContact.Service.Features.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Tickets;

public sealed class TicketApiTests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    private static readonly TimeZoneInfo Bucharest = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");

    private static DateTimeOffset Local(int year, int month, int day, int hour)
    {
        var local = new DateTime(year, month, day, hour, 0, 0, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Bucharest.GetUtcOffset(local));
    }

    private static string Unique(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    private async Task<(HttpClient Client, long KeyId, string Prefix)> AgentAsync()
    {
        var (id, prefix, key) = await service.NewKeyAsync("agent");
        return (service.Client(key), id, prefix);
    }

    private static async Task<JsonElement> CreatedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<long> NewAgentRowAsync() =>
        await service.ScalarAsync<long>("INSERT INTO agents (name, sip_endpoint) VALUES ('Ana', @e) RETURNING id", ("e", $"PJSIP/{Guid.NewGuid():N}"[..20]));

    private async Task<JsonElement> NewTicketAsync(HttpClient client, long categoryId, string phone = "+40722000001") =>
        await CreatedAsync(await client.PostAsJsonAsync("/api/tickets", new
        {
            kind = "complaint",
            channel = "phone",
            description = "Street light broken on Str. Lunga 4",
            categoryId,
            citizenName = "Ion Popescu",
            citizenPhone = phone,
            citizenEmail = "ion@example.org",
        }));

    [Fact]
    public async Task A_ticket_goes_from_new_to_closed_with_a_history_row_for_every_change()
    {
        service.Clock.Now = DateTimeOffset.UtcNow;
        var department = await service.NewDepartmentAsync(Unique("roads"));
        var category = await service.NewCategoryAsync(Unique("light"), department);
        var (agent, keyId, prefix) = await AgentAsync();
        var agentRow = await NewAgentRowAsync();

        var created = await NewTicketAsync(agent, category, phone: "0722 000 111");
        var id = created.GetProperty("id").GetInt64();
        Assert.Matches(@"^TM-\d{4}-\d{6}$", created.GetProperty("number").GetString());
        Assert.Equal("new", created.GetProperty("status").GetString());
        Assert.Equal(department, created.GetProperty("departmentId").GetInt64());
        Assert.Equal("+40722000111", created.GetProperty("citizenPhone").GetString());
        Assert.Equal(JsonValueKind.String, created.GetProperty("dueAt").ValueKind);

        var assigned = await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/assign", new { agentId = agentRow, note = "yours" }));
        Assert.Equal(("assigned", agentRow), (assigned.GetProperty("status").GetString(), assigned.GetProperty("assignedAgentId").GetInt64()));
        await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "in_progress", note = "crew sent" }));
        await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/notes", new { note = "bulb ordered" }));

        var missing = await TicketServiceFixture.ProblemAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { note = "done" }), HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("resolution", out _));
        var resolved = await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { resolution = "Bulb replaced" }));
        Assert.Equal(("resolved", "Bulb replaced"), (resolved.GetProperty("status").GetString(), resolved.GetProperty("resolution").GetString()));
        Assert.Equal(JsonValueKind.String, resolved.GetProperty("resolvedAt").ValueKind);
        var closed = await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "closed" }));
        Assert.Empty(closed.GetProperty("allowedTransitions").EnumerateArray());

        var history = await OkAsync(await agent.GetAsync($"/api/tickets/{id}/history"));
        Assert.Equal(
            [("created", null, "new"), ("assigned", "new", "assigned"), ("status_changed", "assigned", "in_progress"), ("note_added", null, null),
             ("status_changed", "in_progress", "resolved"), ("status_changed", "resolved", "closed")],
            history.GetProperty("items").EnumerateArray().Select(h => (h.GetProperty("action").GetString(), h.GetProperty("fromStatus").GetString(), h.GetProperty("toStatus").GetString())));
        Assert.All(history.GetProperty("items").EnumerateArray(), h => Assert.Equal((prefix, keyId), (h.GetProperty("actor").GetString(), h.GetProperty("actorKeyId").GetInt64())));
        var resolvedRow = history.GetProperty("items")[4];
        Assert.Equal("Bulb replaced", resolvedRow.GetProperty("data").GetProperty("resolution").GetProperty("to").GetString());
        Assert.Equal("bulb ordered", history.GetProperty("items")[3].GetProperty("note").GetString());
    }

    [Fact]
    public async Task An_invalid_transition_is_refused_409_naming_the_allowed_ones()
    {
        var department = await service.NewDepartmentAsync(Unique("water"));
        var category = await service.NewCategoryAsync(Unique("leak"), department);
        var (agent, _, _) = await AgentAsync();
        var id = (await NewTicketAsync(agent, category)).GetProperty("id").GetInt64();

        var problem = await TicketServiceFixture.ProblemAsync(
            await agent.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "closed" }), HttpStatusCode.Conflict);
        Assert.Equal(["assigned", "in_progress", "resolved", "rejected", "duplicate"],
            problem.GetProperty("allowedTransitions").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("new", problem.GetProperty("currentStatus").GetString());
        Assert.Contains("assigned, in_progress, resolved, rejected, duplicate", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "rejected", note = "not ours" }));
        var final = await TicketServiceFixture.ProblemAsync(
            await agent.PostAsJsonAsync($"/api/tickets/{id}/status", new { status = "in_progress" }), HttpStatusCode.Conflict);
        Assert.Empty(final.GetProperty("allowedTransitions").EnumerateArray());
        var assign = await TicketServiceFixture.ProblemAsync(
            await agent.PostAsJsonAsync($"/api/tickets/{id}/assign", new { agentId = await NewAgentRowAsync() }), HttpStatusCode.Conflict);
        Assert.Contains("cannot be assigned", assign.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Nothing of the refused changes was stored.
        var history = await OkAsync(await agent.GetAsync($"/api/tickets/{id}/history"));
        Assert.Equal(["created", "status_changed"], history.GetProperty("items").EnumerateArray().Select(h => h.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Bad_input_is_400_naming_the_field_and_an_unknown_status_is_not_a_transition()
    {
        var (agent, _, _) = await AgentAsync();
        var problem = await TicketServiceFixture.ProblemAsync(await agent.PostAsJsonAsync("/api/tickets", new
        {
            kind = "wish",
            description = "",
            citizenPhone = "call me",
            citizenEmail = "nope",
        }), HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "kind", "description", "categoryId", "citizenPhone", "citizenEmail" })
        {
            Assert.True(errors.TryGetProperty(field, out _), field);
        }
        var unknownCategory = await TicketServiceFixture.ProblemAsync(
            await agent.PostAsJsonAsync("/api/tickets", new { kind = "request", description = "x", categoryId = 987654 }), HttpStatusCode.BadRequest);
        Assert.True(unknownCategory.GetProperty("errors").TryGetProperty("categoryId", out _));
        var status = await TicketServiceFixture.ProblemAsync(
            await agent.PostAsJsonAsync("/api/tickets/1/status", new { status = "done" }), HttpStatusCode.BadRequest);
        Assert.True(status.GetProperty("errors").TryGetProperty("status", out _));
        await TicketServiceFixture.ProblemAsync(await agent.PostAsJsonAsync("/api/tickets/987654/status", new { status = "assigned" }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Sla_due_times_count_business_hours_over_weekends_holidays_and_a_dst_change()
    {
        var department = await service.NewDepartmentAsync(Unique("sla"));
        var schedules = service.Factory.Services.GetRequiredService<ScheduleStore>();
        var scheduleId = await schedules.CreateAsync(new NewSchedule(Unique("sla"), "Town hall", "Europe/Bucharest",
            [.. Enumerable.Range(1, 5).Select(day => new OpeningHours(day, new TimeOnly(8, 0), new TimeOnly(16, 0)))],
            [new Holiday(new DateOnly(2026, 5, 1), "Labour Day"), new Holiday(new DateOnly(2026, 12, 24), "Christmas Eve", new TimeOnly(9, 0), new TimeOnly(12, 0))]),
            CancellationToken.None);
        await service.ExecuteAsync("UPDATE departments SET schedule_id = @s WHERE id = @d", ("s", scheduleId), ("d", department));
        var eightHours = await service.NewCategoryAsync(Unique("sla8"), department, slaBusinessHours: 8);
        var fourHours = await service.NewCategoryAsync(Unique("sla4"), department, slaBusinessHours: 4);
        var (agent, _, _) = await AgentAsync();

        async Task<DateTimeOffset> DueAtAsync(DateTimeOffset createdAt, long category)
        {
            service.Clock.Now = createdAt;
            return (await NewTicketAsync(agent, category)).GetProperty("dueAt").GetDateTimeOffset();
        }

        // Friday 14:00 before the spring change (+02:00 → +03:00): Monday 14:00 local = 11:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 11, 0, 0, TimeSpan.Zero), await DueAtAsync(Local(2026, 3, 27, 14), eightHours));
        // Thursday 30 April 15:00, Friday 1 May closed: Monday 4 May 11:00.
        Assert.Equal(Local(2026, 5, 4, 11), await DueAtAsync(Local(2026, 4, 30, 15), fourHours));
        // Wednesday 23 December 15:00 + 4 h: 1 h, then the 24th is open 09–12 only: the 24th at 12:00.
        Assert.Equal(Local(2026, 12, 24, 12), await DueAtAsync(Local(2026, 12, 23, 15), fourHours));
        // + 8 h: 1 h, 3 h on the 24th, 4 h on Friday the 25th (an ordinary day in this schedule).
        Assert.Equal(Local(2026, 12, 25, 12), await DueAtAsync(Local(2026, 12, 23, 15), eightHours));
        // Saturday: counting starts on Monday 08:00.
        Assert.Equal(Local(2026, 3, 9, 12), await DueAtAsync(Local(2026, 3, 7, 10), fourHours));
    }

    [Fact]
    public async Task Reading_a_ticket_writes_an_audit_row_and_lists_carry_no_personal_data()
    {
        service.Clock.Now = DateTimeOffset.UtcNow;
        var department = await service.NewDepartmentAsync(Unique("audit"));
        var category = await service.NewCategoryAsync(Unique("audit"), department);
        var (agent, keyId, prefix) = await AgentAsync();
        var phone = $"+4072{Random.Shared.Next(1000000, 9999999)}";
        var id = (await NewTicketAsync(agent, category, phone)).GetProperty("id").GetInt64();

        var read = await OkAsync(await agent.GetAsync($"/api/tickets/{id}"));
        Assert.Equal("Ion Popescu", read.GetProperty("citizenName").GetString());
        var audit = await service.ScalarAsync<string>("""
            SELECT json_agg(json_build_object('actor', actor, 'action', action, 'trace', trace_id, 'data', data))::text
            FROM audit_log WHERE entity = 'ticket' AND entity_id = @id
            """, ("id", id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var row = Assert.Single(JsonDocument.Parse(audit).RootElement.EnumerateArray());
        Assert.Equal((prefix, "ticket.read"), (row.GetProperty("actor").GetString(), row.GetProperty("action").GetString()));
        Assert.Equal(keyId, row.GetProperty("data").GetProperty("keyId").GetInt64());
        Assert.Equal(["citizenName", "citizenPhone", "citizenEmail"], row.GetProperty("data").GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        Assert.False(string.IsNullOrEmpty(row.GetProperty("trace").GetString()));

        var national = "0" + phone[3..];
        var found = await OkAsync(await agent.GetAsync($"/api/tickets?citizenPhone={Uri.EscapeDataString(national)}"));
        var item = Assert.Single(found.GetProperty("items").EnumerateArray());
        Assert.Equal(id, item.GetProperty("id").GetInt64());
        Assert.False(item.TryGetProperty("citizenPhone", out _));
        Assert.False(item.TryGetProperty("citizenName", out _));
        Assert.Equal(1L, await service.ScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'ticket.searched_by_phone' AND actor = @actor AND data->'ticketIds' @> to_jsonb(@id)",
            ("actor", prefix), ("id", id)));
    }

    [Fact]
    public async Task Search_filters_by_status_department_overdue_and_date_range_with_pages()
    {
        var roads = Unique("roads");
        var department = await service.NewDepartmentAsync(roads);
        var category = await service.NewCategoryAsync(Unique("pothole"), department, slaBusinessHours: 1);
        var (agent, _, _) = await AgentAsync();

        // Created in 2020: long overdue by now.
        service.Clock.Now = new DateTimeOffset(2020, 6, 3, 9, 0, 0, TimeSpan.Zero);
        var old = (await NewTicketAsync(agent, category)).GetProperty("id").GetInt64();
        service.Clock.Now = DateTimeOffset.UtcNow;
        var fresh = (await NewTicketAsync(agent, category)).GetProperty("id").GetInt64();
        var third = (await NewTicketAsync(agent, category)).GetProperty("id").GetInt64();
        await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{third}/status", new { status = "in_progress" }));

        async Task<long[]> IdsAsync(string query) =>
            [.. (await OkAsync(await agent.GetAsync($"/api/tickets?department={roads}&{query}"))).GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetInt64())];

        Assert.Equal([third, fresh, old], await IdsAsync(""));
        Assert.Equal([fresh, old], await IdsAsync("status=new"));
        Assert.Equal([third, fresh], await IdsAsync("status=new,in_progress&from=2021-01-01T00:00:00Z"));
        Assert.Equal([old], await IdsAsync("overdue=true"));
        Assert.Equal([old], await IdsAsync("from=2020-06-01T00:00:00Z&to=2020-06-04T00:00:00Z"));
        var page = await OkAsync(await agent.GetAsync($"/api/tickets?department={roads}&limit=2"));
        Assert.Equal((3L, 2), (page.GetProperty("total").GetInt64(), page.GetProperty("nextOffset").GetInt32()));
        Assert.Equal([old], await IdsAsync("limit=2&offset=2"));
        await TicketServiceFixture.ProblemAsync(await agent.GetAsync("/api/tickets?status=lost"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_rating_below_the_running_average_flags_the_ticket_and_rates_only_once_after_resolution()
    {
        service.Clock.Now = DateTimeOffset.UtcNow;
        var department = await service.NewDepartmentAsync(Unique("rating"));
        var category = await service.NewCategoryAsync(Unique("rating"), department);
        var (agent, _, _) = await AgentAsync();

        async Task<long> ResolvedAsync()
        {
            var id = (await NewTicketAsync(agent, category)).GetProperty("id").GetInt64();
            await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { resolution = "Done" }));
            return id;
        }

        var open = (await NewTicketAsync(agent, category)).GetProperty("id").GetInt64();
        var early = await TicketServiceFixture.ProblemAsync(await agent.PostAsJsonAsync($"/api/tickets/{open}/rating", new { rating = 5 }), HttpStatusCode.Conflict);
        Assert.Contains("resolved or closed", early.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Everything this test rates is compared with the average of all earlier ratings in the database.
        var first = await ResolvedAsync();
        var high = await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{first}/rating", new { rating = 5, channel = "ivr" }));
        Assert.False(high.GetProperty("flaggedForFollowUp").GetBoolean());
        Assert.Equal("ivr", high.GetProperty("ratingChannel").GetString());
        var average = await service.ScalarAsync<double>("SELECT avg(rating)::float8 FROM tickets WHERE rating IS NOT NULL");

        var second = await ResolvedAsync();
        var low = await OkAsync(await agent.PostAsJsonAsync($"/api/tickets/{second}/rating", new { rating = 1 }));
        Assert.True(low.GetProperty("flaggedForFollowUp").GetBoolean());
        Assert.True(1 < average);
        var again = await TicketServiceFixture.ProblemAsync(await agent.PostAsJsonAsync($"/api/tickets/{second}/rating", new { rating = 5 }), HttpStatusCode.Conflict);
        Assert.Contains("already rated", again.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await TicketServiceFixture.ProblemAsync(await agent.PostAsJsonAsync($"/api/tickets/{second}/rating", new { rating = 6 }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task History_and_audit_have_no_route_that_changes_them()
    {
        var department = await service.NewDepartmentAsync(Unique("immut"));
        var category = await service.NewCategoryAsync(Unique("immut"), department);
        var (agent, _, _) = await AgentAsync();
        var id = (await NewTicketAsync(agent, category)).GetProperty("id").GetInt64();
        var admin = service.Admin;

        foreach (var method in new[] { HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Post })
        {
            var response = await admin.SendAsync(new HttpRequestMessage(method, $"/api/tickets/{id}/history") { Content = JsonContent.Create(new { }) });
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.MethodNotAllowed, HttpStatusCode.NotFound });
        }
        Assert.Contains((await admin.DeleteAsync($"/api/tickets/{id}")).StatusCode, new[] { HttpStatusCode.MethodNotAllowed, HttpStatusCode.NotFound });
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/audit")).StatusCode);
        Assert.Single((await OkAsync(await agent.GetAsync($"/api/tickets/{id}/history"))).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task The_service_role_cannot_update_or_delete_ticket_history_or_audit_rows_written_by_the_api()
    {
        var department = await service.NewDepartmentAsync(Unique("role"));
        var category = await service.NewCategoryAsync(Unique("role"), department);
        var (agent, _, _) = await AgentAsync();
        var id = (await NewTicketAsync(agent, category)).GetProperty("id").GetInt64();
        await OkAsync(await agent.GetAsync($"/api/tickets/{id}"));

        await using var connection = await service.DataSource.OpenConnectionAsync();
        await using (var role = new Npgsql.NpgsqlCommand("SET ROLE citycontact_app", connection))
        {
            await role.ExecuteNonQueryAsync();
        }
        foreach (var statement in new[]
        {
            $"UPDATE ticket_history SET note = 'rewritten' WHERE ticket_id = {id}",
            $"DELETE FROM ticket_history WHERE ticket_id = {id}",
            $"UPDATE audit_log SET actor = 'nobody' WHERE entity = 'ticket' AND entity_id = '{id}'",
            $"DELETE FROM audit_log WHERE entity = 'ticket' AND entity_id = '{id}'",
        })
        {
            await using var command = new Npgsql.NpgsqlCommand(statement, connection);
            var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
        // The same role does change tickets themselves: the refusal is about the append-only tables.
        await using (var update = new Npgsql.NpgsqlCommand($"UPDATE tickets SET priority = 'high' WHERE id = {id}", connection))
        {
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }
        Assert.Equal(1L, await service.ScalarAsync<long>("SELECT count(*) FROM ticket_history WHERE ticket_id = @id", ("id", id)));
    }

    [Fact]
    public async Task Roles_other_than_agent_supervisor_and_admin_are_refused()
    {
        var (_, _, reporterKey) = await service.NewKeyAsync("reporter");
        var reporter = service.Client(reporterKey);
        await TicketServiceFixture.ProblemAsync(await reporter.GetAsync("/api/tickets"), HttpStatusCode.Forbidden);
        await TicketServiceFixture.ProblemAsync(await service.Client(null).GetAsync("/api/tickets"), HttpStatusCode.Unauthorized);
        var (_, _, supervisorKey) = await service.NewKeyAsync("supervisor");
        await OkAsync(await service.Client(supervisorKey).GetAsync("/api/tickets"));
        // Categories: agents read, only admins write.
        var (agent, _, _) = await AgentAsync();
        await TicketServiceFixture.ProblemAsync(await agent.PostAsJsonAsync("/api/ticket-categories", new { code = "x" }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Categories_are_created_updated_and_deleted_by_an_admin_with_clear_errors()
    {
        var department = await service.NewDepartmentAsync(Unique("cat"));
        var code = Unique("cat");
        var id = await service.NewCategoryAsync(code, department);
        var duplicate = await service.Admin.PostAsJsonAsync("/api/ticket-categories", new { code, name = "Again", departmentId = department, slaBusinessHours = 4 });
        await TicketServiceFixture.ProblemAsync(duplicate, HttpStatusCode.Conflict);
        var invalid = await TicketServiceFixture.ProblemAsync(
            await service.Admin.PostAsJsonAsync("/api/ticket-categories", new { code = "Bad Code", slaBusinessHours = 0 }), HttpStatusCode.BadRequest);
        foreach (var field in new[] { "code", "name", "departmentId", "slaBusinessHours" })
        {
            Assert.True(invalid.GetProperty("errors").TryGetProperty(field, out _), field);
        }
        var updated = await OkAsync(await service.Admin.PutAsJsonAsync($"/api/ticket-categories/{id}",
            new { code, name = "Renamed", departmentId = department, slaBusinessHours = 16, active = false }));
        Assert.Equal(("Renamed", 16, false), (updated.GetProperty("name").GetString(), updated.GetProperty("slaBusinessHours").GetInt32(), updated.GetProperty("active").GetBoolean()));
        Assert.Equal(HttpStatusCode.NoContent, (await service.Admin.DeleteAsync($"/api/ticket-categories/{id}")).StatusCode);
        await TicketServiceFixture.ProblemAsync(await service.Admin.GetAsync($"/api/ticket-categories/{id}"), HttpStatusCode.NotFound);
    }
}
