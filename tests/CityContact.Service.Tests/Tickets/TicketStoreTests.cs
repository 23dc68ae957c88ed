using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Database;
using CityContact.Service.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CityContact.Service.Tests.Tickets;

public sealed class TicketStoreTests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    private static CancellationToken Ct => CancellationToken.None;

    private TicketService Tickets => service.Factory.Services.GetRequiredService<TicketService>();

    [Fact]
    public async Task Parallel_creates_get_distinct_numbers_of_the_year()
    {
        var store = new TicketStore(service.DataSource);
        var created = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => store.CreateAsync(
            new NewTicket(TicketKinds.Request, TicketChannels.Web, $"parallel {i}"), "PAR", 2031, DateTimeOffset.UtcNow, new TicketActor("test"), Ct))));

        var numbers = created.Select(t => t.Number).ToArray();
        Assert.Equal(40, numbers.Distinct().Count());
        Assert.All(numbers, n => Assert.Matches(@"^PAR-2031-\d{6}$", n));
        // The counter is per year: another year starts again at 1.
        var other = await store.CreateAsync(new NewTicket(TicketKinds.Request, TicketChannels.Web, "next year"), "PAR", 2032, DateTimeOffset.UtcNow, new TicketActor("test"), Ct);
        Assert.Equal("PAR-2032-000001", other.Number);
    }

    [Fact]
    public async Task A_voicemail_becomes_a_callback_ticket_that_only_its_caller_can_follow_by_phone()
    {
        var department = await service.NewDepartmentAsync($"vm-{Guid.NewGuid():N}"[..20]);
        var ticket = await Tickets.CreateFromVoicemailAsync("0733 444 555", department, null, "voicemail/2026/abc", null, Ct);
        Assert.Equal((TicketKinds.Callback, TicketChannels.Voicemail, "+40733444555", "voicemail/2026/abc", department),
            (ticket.Kind, ticket.Channel, ticket.CitizenPhone, ticket.RecordingRef, ticket.DepartmentId));

        var status = await Tickets.GetStatusForCallerAsync(ticket.Number.ToLowerInvariant(), "+40733444555", Ct);
        Assert.Equal((ticket.Number, TicketStatuses.New), (status!.Number, status.Status));
        var keypad = ticket.Number.Replace("TM-", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        Assert.Equal(ticket.Number, (await Tickets.GetStatusForCallerAsync(keypad, "0733444555", Ct))!.Number);
        Assert.Null(await Tickets.GetStatusForCallerAsync(ticket.Number, "+40733444556", Ct));
        Assert.Null(await Tickets.GetStatusForCallerAsync("TM-1999-000001", "+40733444555", Ct));

        var history = await Tickets.HistoryAsync(ticket.Id, Ct);
        Assert.Equal(("created", "ivr"), (Assert.Single(history).Action, history[0].Actor));
    }

    [Fact]
    public async Task A_rating_from_the_ivr_survey_is_stored_with_its_channel()
    {
        var department = await service.NewDepartmentAsync($"sv-{Guid.NewGuid():N}"[..20]);
        var ticket = await Tickets.CreateFromVoicemailAsync("+40733000999", department, null, "voicemail/x", null, Ct);
        await Tickets.ResolveAsync(ticket.Id, "Called back", null, TicketActor.Ivr, Ct);

        var rated = Assert.IsType<TicketChange.Applied>(await Tickets.RecordRatingAsync(ticket.Id, 4, RatingChannels.Ivr, null, Ct));
        Assert.Equal(((short?)4, "ivr"), (rated.Ticket.Rating, rated.Ticket.RatingChannel));
        Assert.IsType<TicketChange.NotFound>(await Tickets.RecordRatingAsync(long.MaxValue, 4, RatingChannels.Ivr, null, Ct));
    }

    [Fact]
    public async Task Tickets_of_schema_v1_are_migrated_to_the_new_statuses_kinds_and_numbers()
    {
        var name = $"cc_test_{Guid.NewGuid():N}"[..24];
        await using (var server = NpgsqlDataSource.Create(PostgresServer.ConnectionString))
        {
            await server.CreateCommand($"CREATE DATABASE {name}").ExecuteNonQueryAsync(Ct);
        }
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = name }.ConnectionString;
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var schemaV1 = await ReadScriptAsync("sql/0001_schema.sql");
            await dataSource.CreateCommand(schemaV1).ExecuteNonQueryAsync(Ct);
            // DbUp's journal, as if 0001 had been applied by it.
            await dataSource.CreateCommand("""
                CREATE TABLE schemaversions (schemaversionsid serial PRIMARY KEY, scriptname varchar(255) NOT NULL, applied timestamp NOT NULL);
                INSERT INTO schemaversions (scriptname, applied) VALUES ('sql/0001_schema.sql', now());
                INSERT INTO agents (name, sip_endpoint) VALUES ('Ana', 'PJSIP/1001');
                INSERT INTO tickets (kind, status, subject, created_at) VALUES ('voicemail', 'open', 'old voicemail', '2025-03-01T10:00:00Z');
                INSERT INTO tickets (kind, status, subject, assigned_agent_id) VALUES ('complaint', 'open', 'old complaint', (SELECT id FROM agents));
                INSERT INTO tickets (kind, status, subject) VALUES ('request', 'resolved', 'old request');
                """).ExecuteNonQueryAsync(Ct);

            await new DatabaseMigrator(dataSource, NullLogger<DatabaseMigrator>.Instance).MigrateAsync(Ct);

            await using var read = dataSource.CreateCommand("SELECT subject, kind, status, channel, number FROM tickets ORDER BY id");
            await using var reader = await read.ExecuteReaderAsync(Ct);
            var rows = new List<(string, string, string, string, string)>();
            while (await reader.ReadAsync(Ct))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
            }
            var year = DateTime.UtcNow.Year;
            Assert.Equal(
                [("old voicemail", "callback", "new", "voicemail", "TM-2025-000001"),
                 ("old complaint", "complaint", "assigned", "web", $"TM-{year}-000001"),
                 ("old request", "request", "resolved", "web", $"TM-{year}-000002")],
                rows);
        }
        finally
        {
            await using var server = NpgsqlDataSource.Create(PostgresServer.ConnectionString);
            await server.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)").ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task<string> ReadScriptAsync(string name)
    {
        await using var stream = typeof(DatabaseMigrator).Assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
