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

    [Fact]
    public async Task A_repeated_request_for_the_same_ticket_returns_the_open_request_and_it_is_claimed_exactly_once()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, ticket) = await SeedAsync(host);
        var scheduler = host.Services.GetRequiredService<ICallbackScheduler>();
        var store = host.Services.GetRequiredService<CallbackStore>();
        var request = new CallbackRequest(department, "+40721000111", ticket, null, IvrHost.WednesdayMorning, 0);

        var first = await scheduler.RequestAsync(request, Ct);
        var again = await scheduler.RequestAsync(request, Ct);
        Assert.Equal(first, again);

        var claims = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => store.ClaimNextAsync(IvrHost.WednesdayMorning.AddMinutes(1), $"claimer-{i}", Ct)));
        var claimed = Assert.Single(claims, c => c is not null);
        Assert.Equal(first, claimed!.Id);
        Assert.Equal(1, claimed.Attempts);
    }

    [Fact]
    public async Task Unanswered_callbacks_are_retried_until_the_attempts_are_used_up()
    {
        await using var host = await IvrHost.StartAsync();
        var (department, ticket) = await SeedAsync(host);
        var scheduler = host.Services.GetRequiredService<ICallbackScheduler>();
        var store = host.Services.GetRequiredService<CallbackStore>();
        var now = IvrHost.WednesdayMorning;
        var id = await scheduler.RequestAsync(new CallbackRequest(department, "0721000222", ticket, null, now, 0), Ct);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var claimed = await store.ClaimNextAsync(now.AddMinutes(attempt * 10), "test", Ct);
            Assert.Equal(id, claimed?.Id);
            Assert.True(await store.FinishAttemptAsync(id, CallbackStates.NoAnswer, now.AddMinutes(attempt * 10 + 5), Ct));
            Assert.False(await store.FinishAttemptAsync(id, CallbackStates.Reached, now, Ct));
        }
        Assert.Null(await store.ClaimNextAsync(now.AddDays(1), "test", Ct));
        var final = await store.GetAsync(id, Ct);
        Assert.Equal(CallbackStates.NoAnswer, final!.State);
        Assert.Equal(3, final.Attempts);
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
