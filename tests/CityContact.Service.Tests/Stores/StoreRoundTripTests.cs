using System.Text.Json;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Departments;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Schedules;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Http;
using CityContact.Service.Tests.Infrastructure;
using Npgsql;

namespace CityContact.Service.Tests.Stores;

/// <summary>Each store writes its aggregate to the real database and reads back the same thing.</summary>
public sealed class StoreRoundTripTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private async Task<Department> NewDepartmentAsync(string code) =>
        await new DepartmentStore(db.DataSource).CreateAsync(new DepartmentFields(code, $"Department {code}", $"{code}@city.example"), Ct);

    [Fact]
    public async Task Department_round_trips_updates_lists_and_deletes()
    {
        var store = new DepartmentStore(db.DataSource);
        var created = await NewDepartmentAsync("taxes");

        Assert.Equal(created, await store.GetAsync(created.Id, Ct));
        var updated = await store.UpdateAsync(created.Id, new DepartmentFields("taxes", "Taxes and fees", null), Ct);
        Assert.Equal("Taxes and fees", updated!.Name);
        Assert.Null(updated.Email);
        Assert.Contains(updated, (await store.ListAsync("fees", new PageRequest(10, 0), Ct)).Items);
        Assert.True(await store.DeleteAsync(created.Id, Ct));
        Assert.Null(await store.GetAsync(created.Id, Ct));
        Assert.False(await store.DeleteAsync(created.Id, Ct));
    }

    [Fact]
    public async Task A_duplicate_department_code_is_a_unique_violation()
    {
        await NewDepartmentAsync("registry");
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => NewDepartmentAsync("registry"));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
    }

    [Fact]
    public async Task Agent_round_trips_with_its_skills_ordered_by_penalty()
    {
        var department = await NewDepartmentAsync("agents-dep");
        var store = new AgentStore(db.DataSource);
        var created = await store.CreateAsync(new NewAgent("Ana Pop", "PJSIP/1001", "ana@city.example", department.Id,
            [new AgentSkill("taxes", 5), new AgentSkill("parking", 0)]), Ct);

        var read = await store.GetAsync(created.Id, Ct);
        Assert.NotNull(read);
        Assert.Equal(("Ana Pop", "PJSIP/1001", department.Id, true), (read.Name, read.SipEndpoint, read.DepartmentId, read.Active));
        Assert.Equal([new AgentSkill("parking", 0), new AgentSkill("taxes", 5)], read.Skills);
        Assert.Contains(await store.ListAsync(null, Ct), a => a.Id == created.Id);
    }

    [Fact]
    public async Task An_agent_with_an_invalid_skill_is_not_stored_at_all()
    {
        var store = new AgentStore(db.DataSource);
        await Assert.ThrowsAsync<PostgresException>(() => store.CreateAsync(
            new NewAgent("Ion", "PJSIP/1099", null, null, [new AgentSkill("ok", 0), new AgentSkill("ok", 101)]), Ct));
        Assert.DoesNotContain(await store.ListAsync(null, Ct), a => a.SipEndpoint == "PJSIP/1099");
    }

    [Fact]
    public async Task Queue_round_trips()
    {
        var department = await NewDepartmentAsync("queues-dep");
        var store = new QueueStore(db.DataSource);
        var created = await store.CreateAsync(new NewQueue("taxes-q", "Taxes", department.Id, "taxes", MaxWaitSeconds: 300), Ct);

        Assert.Equal(created, await store.GetAsync(created.Id, Ct));
        Assert.Equal(300, created.MaxWaitSeconds);
        Assert.Contains(created, await store.ListAsync(Ct));
    }

    [Fact]
    public async Task Prompt_round_trips_and_saving_again_replaces_the_file()
    {
        var store = new PromptStore(db.DataSource);
        await store.SaveAsync("welcome", "ro", "prompts/ro/welcome.wav", "Bun venit", Ct);
        var replaced = await store.SaveAsync("welcome", "ro", "prompts/ro/welcome-v2.wav", "Bun venit", Ct);

        Assert.Equal(replaced, await store.FindAsync("welcome", "ro", Ct));
        Assert.Equal("prompts/ro/welcome-v2.wav", replaced.FilePath);
        Assert.Null(await store.FindAsync("welcome", "en", Ct));
        Assert.Single(await store.ListAsync("ro", Ct), p => p.Key == "welcome");
    }

    [Fact]
    public async Task Schedule_round_trips_with_hours_and_holidays()
    {
        var store = new ScheduleStore(db.DataSource);
        var id = await store.CreateAsync(new NewSchedule("city-hall", "City hall", "Europe/Bucharest",
            [new OpeningHours(1, new TimeOnly(8, 0), new TimeOnly(16, 30)), new OpeningHours(5, new TimeOnly(8, 0), new TimeOnly(14, 0))],
            [new Holiday(new DateOnly(2026, 12, 1), "Ziua Națională"), new Holiday(new DateOnly(2026, 12, 24), "Ajun", new TimeOnly(8, 0), new TimeOnly(12, 0))]), Ct);

        var read = await store.GetAsync(id, Ct);
        Assert.NotNull(read);
        Assert.Equal("Europe/Bucharest", read.TimeZone);
        Assert.Equal([new OpeningHours(1, new TimeOnly(8, 0), new TimeOnly(16, 30)), new OpeningHours(5, new TimeOnly(8, 0), new TimeOnly(14, 0))], read.Hours);
        Assert.Equal([new Holiday(new DateOnly(2026, 12, 1), "Ziua Națională"), new Holiday(new DateOnly(2026, 12, 24), "Ajun", new TimeOnly(8, 0), new TimeOnly(12, 0))], read.Holidays);
    }

    [Fact]
    public async Task Flow_versions_number_up_and_the_published_one_is_current()
    {
        var store = new FlowStore(db.DataSource);
        var flow = await store.CreateAsync("main", "Main menu", Ct);
        var first = await store.AddDraftAsync(flow.Id, """{"start":"welcome"}""", "admin", Ct);
        var second = await store.AddDraftAsync(flow.Id, """{"start":"menu"}""", "admin", Ct);

        Assert.Equal((1, 2), (first.Version, second.Version));
        Assert.Null(await store.CurrentPublishedAsync(flow.Id, Ct));
        var published = await store.PublishAsync(first.Id, "admin", Ct);
        Assert.NotNull(published?.PublishedAt);
        Assert.Null(await store.PublishAsync(first.Id, "admin", Ct));
        var current = await store.CurrentPublishedAsync(flow.Id, Ct);
        Assert.Equal(first.Id, current!.Id);
        Assert.Equal("welcome", JsonDocument.Parse(current.Definition).RootElement.GetProperty("start").GetString());
        Assert.Equal(flow, await store.GetAsync(flow.Id, Ct));
        Assert.Equal(2, (await store.VersionsAsync(flow.Id, Ct)).Count);
    }

    [Fact]
    public async Task Call_round_trips_with_its_timeline_and_outcome()
    {
        var department = await NewDepartmentAsync("calls-dep");
        var store = new CallStore(db.DataSource);
        var started = new DateTime(2026, 3, 2, 9, 0, 0, DateTimeKind.Utc);
        var call = await store.StartAsync(new NewCall("1700000000.1", "+40700000001", "0800800800", "ro", started), new { trunk = "city" }, Ct);
        await store.AppendEventAsync(call.Id, started.AddSeconds(5), "ivr.choice", new { digit = "2" }, Ct);
        var ended = await store.EndAsync(call.Id, new CallEnd(started.AddMinutes(3), CallOutcomes.Answered, AnsweredAt: started.AddSeconds(40),
            DepartmentId: department.Id, QueueWaitMs: 30_000, TalkMs: 140_000, IvrPath: ["main", "taxes"], HangupCause: "normal"), Ct);

        Assert.True(ended);
        Assert.False(await store.EndAsync(call.Id, new CallEnd(started.AddMinutes(4), CallOutcomes.Failed), Ct));
        var read = await store.GetAsync(call.Id, Ct);
        Assert.NotNull(read);
        Assert.Equal((CallOutcomes.Answered, started, started.AddSeconds(40), started.AddMinutes(3)), (read.Outcome, read.StartedAt, read.AnsweredAt, read.EndedAt));
        Assert.Equal(["main", "taxes"], read.IvrPath);
        Assert.Equal((30_000L, 140_000L, department.Id), (read.QueueWaitMs, read.TalkMs, read.DepartmentId));
        var timeline = await store.TimelineAsync(call.Id, Ct);
        Assert.Equal(["started", "ivr.choice", "ended"], timeline.Select(e => e.Type));
        Assert.Equal("2", JsonDocument.Parse(timeline[1].Data).RootElement.GetProperty("digit").GetString());

        var page = await store.ListAsync(new CallFilter(started.AddHours(-1), started.AddHours(1), CallOutcomes.Answered, "calls-dep", "+40700000001"), new PageRequest(10, 0), Ct);
        Assert.Equal([call.Id], page.Items.Select(c => c.Id));
        Assert.Empty((await store.ListAsync(new CallFilter(null, null, CallOutcomes.Abandoned, "calls-dep", null), new PageRequest(10, 0), Ct)).Items);
    }

    [Fact]
    public async Task A_call_whose_first_event_fails_is_not_stored()
    {
        var store = new CallStore(db.DataSource);
        // The same channel twice: the second call row is refused, and with it nothing of the second start remains.
        await store.StartAsync(new NewCall("dup-channel", "+40700000002", "0800", "ro", DateTime.UtcNow), null, Ct);
        await Assert.ThrowsAsync<PostgresException>(() => store.StartAsync(new NewCall("dup-channel", "+40700000003", "0800", "ro", DateTime.UtcNow), null, Ct));
        var page = await store.ListAsync(new CallFilter(null, null, null, null, "+40700000003"), new PageRequest(10, 0), Ct);
        Assert.Empty(page.Items);
    }

    [Fact]
    public async Task Ticket_is_created_with_its_first_history_row_and_status_changes_are_recorded()
    {
        var store = new TicketStore(db.DataSource);
        var ticket = await store.CreateAsync(new NewTicket("complaint", "Broken street light", CitizenPhone: "+40700000004",
            DueAt: new DateTime(2026, 3, 5, 12, 0, 0, DateTimeKind.Utc)), "agent:PJSIP/1001", Ct);
        var resolved = await store.ChangeStatusAsync(ticket.Id, TicketStatuses.Resolved, "supervisor", "fixed", Ct);

        Assert.Equal(ticket with { Status = TicketStatuses.Resolved, ResolvedAt = resolved!.ResolvedAt, UpdatedAt = resolved.UpdatedAt }, await store.GetAsync(ticket.Id, Ct));
        Assert.NotNull(resolved.ResolvedAt);
        var history = await store.HistoryAsync(ticket.Id, Ct);
        Assert.Equal([("created", null, "open"), ("status_changed", "open", "resolved")], history.Select(h => (h.Action, h.FromStatus, h.ToStatus)));
        Assert.Null(await store.ChangeStatusAsync(long.MaxValue, TicketStatuses.Closed, "x", null, Ct));
        Assert.Contains(await store.ListAsync(TicketStatuses.Resolved, 10, 0, Ct), t => t.Id == ticket.Id);
    }

    [Fact]
    public async Task Api_key_round_trips_hashed_and_is_refused_once_revoked()
    {
        var store = new ApiKeyStore(db.DataSource);
        var (key, secret) = await store.CreateAsync("reports robot", Roles.Reporter, "bootstrap", null, Ct);

        Assert.StartsWith(key.Prefix + "_", secret, StringComparison.Ordinal);
        Assert.Equal(key with { RevokedAt = null }, await store.FindActiveAsync(secret, Ct));
        Assert.Null(await store.FindActiveAsync(secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A'), Ct));
        await using (var stored = db.DataSource.CreateCommand($"SELECT count(*) FROM api_keys WHERE position(convert_to('{secret}', 'UTF8') in secret_hash) > 0"))
        {
            Assert.Equal(0L, await stored.ExecuteScalarAsync());
        }
        Assert.True(await store.RevokeAsync(key.Id, "bootstrap", null, Ct));
        Assert.Null(await store.FindActiveAsync(secret, Ct));
        Assert.NotNull((await store.GetAsync(key.Id, Ct))!.RevokedAt);
        var audit = await new AuditLog(db.DataSource).ListForAsync("api_key", key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Ct);
        Assert.Equal(["api_key.created", "api_key.revoked"], audit.Select(a => a.Action));
    }

    [Fact]
    public async Task Bootstrap_key_is_ensured_idempotently_and_replaced_when_the_setting_changes()
    {
        var store = new ApiKeyStore(db.DataSource);
        const string First = "first-bootstrap-key-abcdefghijkl";
        const string Second = "second-bootstrap-key-abcdefghijk";

        Assert.True(await store.EnsureBootstrapAsync(First, Ct));
        Assert.False(await store.EnsureBootstrapAsync(First, Ct));
        Assert.Equal(Roles.Admin, (await store.FindActiveAsync(First, Ct))?.Role);
        Assert.True(await store.EnsureBootstrapAsync(Second, Ct));
        Assert.Null(await store.FindActiveAsync(First, Ct));
        Assert.NotNull(await store.FindActiveAsync(Second, Ct));
    }

    [Fact]
    public async Task Audit_entries_round_trip()
    {
        var audit = new AuditLog(db.DataSource);
        await audit.AppendAsync(new AuditEntry("cck_12345678", "ticket.read", "ticket", "42", "trace-1", new { field = "phone" }), Ct);

        var entry = Assert.Single(await audit.ListForAsync("ticket", "42", Ct));
        Assert.Equal(("cck_12345678", "ticket.read", "trace-1"), (entry.Actor, entry.Action, entry.TraceId));
        Assert.Equal("phone", JsonDocument.Parse(entry.Data).RootElement.GetProperty("field").GetString());
    }
}
