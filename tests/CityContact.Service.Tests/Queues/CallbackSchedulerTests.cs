using CityContact.Service.Features.Queues;
using CityContact.Service.Tests.Ivr;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Service.Tests.Queues;

/// <summary>The callback contract on PostgreSQL: durable, one open request per ticket, claimed exactly once, bounded retries, refusals noted.</summary>
public sealed class CallbackSchedulerTests
{
    private static CancellationToken Ct => TestContext.Timeout(40);

    private static async Task<(long DepartmentId, long TicketId)> SeedAsync(IvrHost host)
    {
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var department = await connection.ExecuteScalarAsync<long>("SELECT id FROM departments WHERE code = 'taxes'");
        var ticket = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO tickets (kind, subject, department_id) VALUES ('callback', 'Call me back', @department) RETURNING id", new { department });
        return (department, ticket);
    }

    /// <summary>A day ahead, so the request's own trigger stays in the future and the test is its only claimer.</summary>
    private static readonly DateTimeOffset Tomorrow = IvrHost.WednesdayMorning.AddDays(1);

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_repeated_request_for_the_same_ticket_returns_the_open_request_with_one_trigger_and_it_is_claimed_exactly_once()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, ticket) = await SeedAsync(host);
        var scheduler = host.Services.GetRequiredService<ICallbackScheduler>();
        var store = host.Services.GetRequiredService<CallbackStore>();
        var request = new CallbackRequest(department, "+40721000111", ticket, null, Tomorrow, 0);

        var first = await scheduler.RequestAsync(request, Ct);
        var again = await scheduler.RequestAsync(request, Ct);
        Assert.Equal(first, again);
        Assert.Equal(Tomorrow, await host.Services.GetRequiredService<CallbackTriggers>().NextFireAsync(first, Ct));
        Assert.Null(await store.ClaimAsync(first, Tomorrow.AddMinutes(-1), "early", Lease, Ct));

        var claims = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => store.ClaimAsync(first, Tomorrow.AddMinutes(1), $"claimer-{i}", Lease, Ct)));
        var claimed = Assert.Single(claims, c => c is not null);
        Assert.Equal(first, claimed!.Request.Id);
        Assert.Null(claimed.TakenOver);
        Assert.Equal(0, claimed.Request.Attempts);
    }

    [Fact]
    public async Task Unanswered_callbacks_are_retried_until_the_attempts_are_used_up()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, ticket) = await SeedAsync(host);
        var scheduler = host.Services.GetRequiredService<ICallbackScheduler>();
        var store = host.Services.GetRequiredService<CallbackStore>();
        var id = await scheduler.RequestAsync(new CallbackRequest(department, "0721000222", ticket, null, Tomorrow, 0), Ct);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var now = Tomorrow.AddMinutes(attempt * 10);
            Assert.Equal(id, (await store.ClaimAsync(id, now, "test", Lease, Ct))?.Request.Id);
            Assert.True(await store.CitizenDialledAsync(id, "test", $"citizen-{attempt}", Ct));
            Assert.Equal(attempt < 3 ? CallbackStates.Pending : CallbackStates.NoAnswer,
                await store.FinishAttemptAsync(id, "test", CallbackStates.NoAnswer, now.AddMinutes(5), Ct));
            Assert.Null(await store.FinishAttemptAsync(id, "test", CallbackStates.Reached, now, Ct));
        }
        Assert.Null(await store.ClaimAsync(id, Tomorrow.AddDays(1), "test", Lease, Ct));
        var final = await store.GetAsync(id, Ct);
        Assert.Equal(CallbackStates.NoAnswer, final!.State);
        Assert.Equal(3, final.Attempts);
    }

    [Fact]
    public async Task A_request_given_back_before_the_citizen_is_dialled_costs_no_attempt_and_after_it_cannot_be_given_back()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, ticket) = await SeedAsync(host);
        var store = host.Services.GetRequiredService<CallbackStore>();
        var id = await host.Services.GetRequiredService<ICallbackScheduler>().RequestAsync(
            new CallbackRequest(department, "0721000555", ticket, null, Tomorrow, 0), Ct);

        Assert.NotNull(await store.ClaimAsync(id, Tomorrow, "first", Lease, Ct));
        Assert.False(await store.ReleaseAsync(id, "someone-else", "interrupted", Tomorrow, Ct));
        Assert.True(await store.ReleaseAsync(id, "first", "interrupted", Tomorrow, Ct));
        Assert.Equal((CallbackStates.Pending, 0), await StateAsync(store, id));

        Assert.NotNull(await store.ClaimAsync(id, Tomorrow, "second", Lease, Ct));
        Assert.True(await store.CitizenDialledAsync(id, "second", "citizen-leg", Ct));
        Assert.False(await store.ReleaseAsync(id, "second", "interrupted", Tomorrow, Ct));
        Assert.Equal((CallbackStates.Dialing, 1), await StateAsync(store, id));
    }

    [Fact]
    public async Task A_live_lease_is_never_taken_over_and_an_expired_one_is_taken_over_with_what_the_dead_attempt_left()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, ticket) = await SeedAsync(host);
        var store = host.Services.GetRequiredService<CallbackStore>();
        var id = await host.Services.GetRequiredService<ICallbackScheduler>().RequestAsync(
            new CallbackRequest(department, "0721000666", ticket, null, Tomorrow, 0), Ct);

        Assert.NotNull(await store.ClaimAsync(id, Tomorrow, "alive", Lease, Ct));
        Assert.Null(await store.ClaimAsync(id, Tomorrow, "intruder", Lease, Ct));
        Assert.Equal(CallbackStates.Dialing, (await store.WhyNotClaimedAsync(id, Ct))!.State);
        Assert.Equal(1, await store.RenewLeasesAsync("alive", TimeSpan.FromSeconds(-1), Ct));
        Assert.True(await store.CitizenDialledAsync(id, "alive", "citizen-leg", Ct));
        Assert.True(await store.CitizenAnsweredAsync(id, "alive", Ct));

        var takeover = await store.ClaimAsync(id, Tomorrow, "heir", Lease, Ct);
        Assert.Equal(new TakenOverAttempt("alive", null, "citizen-leg", true), takeover!.TakenOver);
        Assert.Null(await store.FinishAttemptAsync(id, "alive", CallbackStates.Failed, Tomorrow, Ct));
        Assert.Equal(CallbackStates.Reached, await store.FinishAttemptAsync(id, "heir", CallbackStates.Reached, Tomorrow, Ct));
        Assert.Equal((CallbackStates.Reached, 1), await StateAsync(store, id));
    }

    [Fact]
    public async Task A_trigger_firing_before_the_request_is_due_claims_nothing_and_puts_the_trigger_back_at_the_due_time()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, ticket) = await SeedAsync(host);
        var triggers = host.Services.GetRequiredService<CallbackTriggers>();
        var id = await host.Services.GetRequiredService<ICallbackScheduler>().RequestAsync(
            new CallbackRequest(department, "0721000777", ticket, null, Tomorrow, 0), Ct);

        await triggers.ScheduleAsync(id, host.Time.GetUtcNow(), Ct);
        while (await triggers.NextFireAsync(id, Ct) != Tomorrow)
        {
            await Task.Delay(20, Ct);
        }
        Assert.Equal((CallbackStates.Pending, 0), await StateAsync(host.Services.GetRequiredService<CallbackStore>(), id));
    }

    private static async Task<(string State, int Attempts)> StateAsync(CallbackStore store, long id)
    {
        var request = await store.GetAsync(id, Ct);
        return (request!.State, request.Attempts);
    }

    [Fact]
    public async Task A_number_outside_the_allow_list_is_refused_and_the_refusal_noted_in_the_ticket_with_the_number_masked()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, ticket) = await SeedAsync(host);
        var scheduler = host.Services.GetRequiredService<ICallbackScheduler>();

        var refused = await Assert.ThrowsAsync<CallbackRefusedException>(() =>
            scheduler.RequestAsync(new CallbackRequest(department, "+19005550123", ticket, null, IvrHost.WednesdayMorning, 0), Ct));
        Assert.Equal("number-not-allowed", refused.Reason);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var notes = (await connection.QueryAsync<string>("SELECT note FROM ticket_history WHERE ticket_id = @ticket AND note IS NOT NULL", new { ticket })).ToList();
        var note = Assert.Single(notes, n => n.Contains("refused", StringComparison.Ordinal));
        Assert.DoesNotContain("5550123", note, StringComparison.Ordinal);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM callback_requests"));
    }

    [Fact]
    public async Task A_number_the_allow_list_pattern_matches_but_the_numbering_plan_does_not_is_refused()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, _) = await SeedAsync(host);
        var scheduler = host.Services.GetRequiredService<ICallbackScheduler>();

        // ^\+?40[0-9]{9}$ lets it through; no Romanian number starts with 0 after the country code.
        var refused = await Assert.ThrowsAsync<CallbackRefusedException>(() =>
            scheduler.RequestAsync(new CallbackRequest(department, "+40000000000", null, null, IvrHost.WednesdayMorning, 0), Ct));
        Assert.Equal("number-not-valid", refused.Reason);
    }

    [Fact]
    public async Task A_number_asking_more_often_than_the_daily_limit_is_refused()
    {
        await using var host = await IvrHost.StartAsync(settings: new Dictionary<string, string?> { ["Queues:CallbacksPerNumberPerDay"] = "2" });
        var (department, _) = await SeedAsync(host);
        var scheduler = host.Services.GetRequiredService<ICallbackScheduler>();
        var request = new CallbackRequest(department, "0721000333", null, null, IvrHost.WednesdayMorning, 0);
        await scheduler.RequestAsync(request, Ct);
        await scheduler.RequestAsync(request, Ct);
        var refused = await Assert.ThrowsAsync<CallbackRefusedException>(() => scheduler.RequestAsync(request, Ct));
        Assert.Equal("rate-limited", refused.Reason);
    }
}
