using System.Globalization;
using System.Net;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Features.Voicemail;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityContact.Service.Tests.Voicemail;

/// <summary>
/// The fallback mailbox as Asterisk leaves it while the service is down (a temporary spool with Asterisk's own file
/// layout and format), imported by the whole service on a real PostgreSQL, with a simulator whose stored recordings
/// are the directory the importer copies into.
/// </summary>
public sealed class FallbackVoicemailImportTests : IAsyncLifetime
{
    // Wednesday 12 March 2025, 19:00 in Bucharest: after the city hall's 08:00–16:00.
    private static readonly DateTimeOffset WednesdayEvening = new(2025, 3, 12, 17, 0, 0, TimeSpan.Zero);

    private readonly FallbackSpool _spool = new();
    private readonly DatabaseFixture _database = new();
    private AsteriskSimulator _sim = null!;

    private static CancellationToken Ct => TestContext.Timeout(40);

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            AriUser = "cc-fallback",
            AriPassword = Guid.NewGuid().ToString("N"),
            DefaultMediaLength = TimeSpan.FromMilliseconds(30),
            Time = new ScaledTimeProvider(1, WednesdayEvening),
            RecordingsDirectory = _spool.Recordings,
        }, Ct);
    }

    public async Task DisposeAsync()
    {
        await _sim.DisposeAsync();
        await _database.DisposeAsync();
        _spool.Delete();
    }

    private VoicemailOptions Enabled => new()
    {
        FallbackSpoolDirectory = _spool.Root,
        RecordingsDirectory = _spool.Recordings,
        // Only the pass at start-up runs by itself; the tests run the others.
        FallbackScanSeconds = 3600,
    };

    /// <summary>The service with the import on (its pass at start-up runs), or off (a test then runs its own importers).</summary>
    private async Task<(IvrHost Host, RecordingCallbackScheduler Callbacks)> StartServiceAsync(bool importing = true)
    {
        var callbacks = new RecordingCallbackScheduler();
        var settings = new Dictionary<string, string?>();
        if (importing)
        {
            settings["Voicemail:FallbackSpoolDirectory"] = Enabled.FallbackSpoolDirectory;
            settings["Voicemail:RecordingsDirectory"] = Enabled.RecordingsDirectory;
            settings["Voicemail:FallbackScanSeconds"] = Enabled.FallbackScanSeconds.ToString(CultureInfo.InvariantCulture);
        }
        var host = await IvrHost.StartAsync(WednesdayEvening, settings, externalSimulator: _sim, sharedDatabase: _database,
            testServices: services => services.AddSingleton<ICallbackScheduler>(callbacks));
        return (host, callbacks);
    }

    /// <summary>An importer of the spool on the host's services, as another instance of the service would run it.</summary>
    private FallbackVoicemailImporter Importer(IvrHost host, ILogger<FallbackVoicemailImporter>? logger = null) =>
        logger is null
            ? ActivatorUtilities.CreateInstance<FallbackVoicemailImporter>(host.Services, Options.Create(Enabled))
            : ActivatorUtilities.CreateInstance<FallbackVoicemailImporter>(host.Services, Options.Create(Enabled), logger);

    private async Task<List<(string Key, long TicketId)>> ImportedAsync(int atLeast, CancellationToken ct)
    {
        while (true)
        {
            await using var connection = await _database.DataSource.OpenConnectionAsync(ct);
            var rows = (await connection.QueryAsync<(string, long)>(
                "SELECT msg_key, ticket_id FROM fallback_voicemail WHERE ticket_id IS NOT NULL ORDER BY msg_key")).ToList();
            if (rows.Count >= atLeast)
            {
                return rows;
            }
            await Task.Delay(20, ct);
        }
    }

    private async Task<long> VoicemailTicketCountAsync()
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM tickets WHERE channel = 'voicemail'");
    }

    [Fact]
    public async Task Messages_left_while_the_service_was_down_become_callback_tickets_at_start_up_with_their_recordings()
    {
        var named = _spool.Leave("msg0000", "1741806000-00000000", "\"Ion Popescu\" <0722123456>", seconds: 2);
        var anonymous = _spool.Leave("msg0001", "1741806060-00000001", "Unknown", seconds: 1);

        var (host, callbacks) = await StartServiceAsync();
        await using var _ = host;
        var imported = await ImportedAsync(2, Ct);

        var store = host.Services.GetRequiredService<TicketStore>();
        var ticket = (await store.GetAsync(imported[0].TicketId, Ct))!;
        Assert.Equal((TicketKinds.Callback, TicketChannels.Voicemail, "+40722123456", "Ion Popescu", "voicemail-fallback-1741806000-00000000"),
            (ticket.Kind, ticket.Channel, ticket.CitizenPhone, ticket.CitizenName, ticket.RecordingRef));
        await using (var connection = await _database.DataSource.OpenConnectionAsync(Ct))
        {
            Assert.Equal("operator", await connection.ExecuteScalarAsync<string>("SELECT code FROM departments WHERE id = @id", new { id = ticket.DepartmentId }));
        }

        // After hours: the callback waits for Thursday 08:00 in Bucharest (06:00 UTC).
        var callback = Assert.Single(callbacks.Requests);
        Assert.Equal((ticket.DepartmentId!.Value, "+40722123456", (long?)ticket.Id, new DateTimeOffset(2025, 3, 13, 6, 0, 0, TimeSpan.Zero)),
            (callback.DepartmentId, callback.Phone, callback.TicketId, callback.NotBefore));

        // No number to call back: a ticket all the same, for an agent to listen to.
        var unknown = (await store.GetAsync(imported[1].TicketId, Ct))!;
        Assert.Equal((null, null, TicketChannels.Voicemail), (unknown.CitizenPhone, unknown.CitizenName, unknown.Channel));

        using var agent = host.Admin();
        var response = await agent.GetAsync($"/api/tickets/{ticket.Id}/recording", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(named.Audio, await response.Content.ReadAsByteArrayAsync(Ct));

        Assert.Empty(Directory.GetFiles(_spool.Inbox));
        Assert.Equal(
            ["1741806000-00000000.txt", "1741806000-00000000.wav", "1741806060-00000001.txt", "1741806060-00000001.wav"],
            Directory.GetFiles(_spool.Imported).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(anonymous.Text, await File.ReadAllTextAsync(Path.Combine(_spool.Imported, "1741806060-00000001.txt"), Ct));
    }

    [Fact]
    public async Task Each_message_is_imported_once_across_restarts_concurrent_importers_and_files_left_in_place()
    {
        var (first, _) = await StartServiceAsync(importing: false);
        var messages = Enumerable.Range(0, 4)
            .Select(i => _spool.Leave($"msg{i:0000}", $"17418060{i}0-0000000{i}", $"+4025600001{i}", seconds: 1))
            .ToList();

        // Two importers on one database at once (as two instances would be): each message goes to exactly one.
        var results = await Task.WhenAll(Importer(first).ImportOnceAsync(Ct), Importer(first).ImportOnceAsync(Ct));
        Assert.Equal(4, results.Sum(r => r.Imported));
        Assert.Equal(4, (await ImportedAsync(4, Ct)).Count);
        Assert.Equal(4, await VoicemailTicketCountAsync());
        await first.DisposeAsync();

        // A service user that may not move the files leaves them in INBOX: the next instance finds them all imported.
        foreach (var message in messages)
        {
            message.PutBack();
        }
        var (restarted, callbacks) = await StartServiceAsync();
        await using var _ = restarted;
        var again = await restarted.Services.GetRequiredService<FallbackVoicemailImporter>().ImportOnceAsync(Ct);

        Assert.Equal(0, again.Imported);
        Assert.Equal(4, await VoicemailTicketCountAsync());
        Assert.Empty(callbacks.Requests);
        Assert.Empty(Directory.GetFiles(_spool.Inbox));
    }

    [Fact]
    public async Task Malformed_files_are_skipped_left_in_place_and_the_good_messages_imported()
    {
        var (host, _) = await StartServiceAsync(importing: false);
        await using var _ = host;
        _spool.LeaveRaw("msg0000", "\u0000\u0001 not a message file \u00ff", withAudio: true);
        _spool.LeaveRaw("msg0001", "[message]\ncallerid=\"Ion Popescu\" <0722123456>\nduration=3\n", withAudio: true);
        _spool.LeaveRaw("msg0002", FallbackMessageFileTests.AsteriskFile("\"Maria Ionescu\" <0722000003>", "1741806200-00000003"), withAudio: false);
        _spool.Leave("msg0003", "1741806300-00000004", "\"Ana Pop\" <0722000004>", seconds: 1);
        var log = new ListLogger();

        var importer = Importer(host, log);
        var result = await importer.ImportOnceAsync(Ct);

        Assert.Equal(new FallbackImportResult(Imported: 1, AlreadyImported: 0, Malformed: 3, Failed: 0), result);
        Assert.Equal("1741806300-00000004", Assert.Single(await ImportedAsync(1, Ct)).Key);
        Assert.Equal(["msg0000.txt", "msg0000.wav", "msg0001.txt", "msg0001.wav", "msg0002.txt"],
            Directory.GetFiles(_spool.Inbox).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Each bad file is named with what is wrong; no caller's name or number is logged in clear.
        var warnings = log.Lines.Where(l => l.Level == LogLevel.Warning).Select(l => l.Text).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("msg0000.txt skipped: no [message] section", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("msg0001.txt skipped: no origtime", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("msg0002.txt skipped: no .wav recording next to it", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Text.Contains("from +4072*****04 is ticket", StringComparison.Ordinal));
        foreach (var personal in new[] { "0722123456", "722000003", "722000004", "Ion Popescu", "Maria Ionescu", "Ana Pop" })
        {
            Assert.DoesNotContain(log.Lines, l => l.Text.Contains(personal, StringComparison.Ordinal));
        }

        // The loop carries on: the next pass skips them again without failing, and without logging them again.
        Assert.Equal(new FallbackImportResult(0, 0, 3, 0), await importer.ImportOnceAsync(Ct));
        Assert.Equal(3, log.Lines.Count(l => l.Level == LogLevel.Warning));
    }

    private sealed class ListLogger : ILogger<FallbackVoicemailImporter>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Text)> _lines = new();

        public IReadOnlyList<(LogLevel Level, string Text)> Lines => [.. _lines];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue((logLevel, formatter(state, exception)));
    }

    [Fact]
    public async Task A_ticket_filed_by_an_import_that_died_before_its_claim_committed_is_not_filed_twice()
    {
        var (host, _) = await StartServiceAsync(importing: false);
        await using var _ = host;
        _spool.Leave("msg0000", "1741806400-00000005", "0722000005", seconds: 1);
        // The earlier attempt filed the ticket, then the process died: no claim row, the files still in INBOX.
        var earlier = await host.Services.GetRequiredService<TicketService>().CreateAsync(new TicketDraft(
            TicketKinds.Callback, TicketChannels.Voicemail, "Voicemail message left while the service was unavailable", null,
            CitizenPhone: "0722000005", RecordingRef: "voicemail-fallback-1741806400-00000005"), FallbackVoicemailImporter.Actor, Ct);

        var result = await Importer(host).ImportOnceAsync(Ct);

        Assert.Equal(1, result.Imported);
        Assert.Equal(("1741806400-00000005", earlier.Id), Assert.Single(await ImportedAsync(1, Ct)));
        Assert.Equal(1, await VoicemailTicketCountAsync());
    }

    [Fact]
    public async Task A_message_whose_recording_cannot_be_copied_stays_unclaimed_and_is_imported_by_the_next_pass()
    {
        var (host, _) = await StartServiceAsync(importing: false);
        await using var _ = host;
        _spool.Leave("msg0000", "1741806600-00000007", "0722000007", seconds: 1);
        var blocked = Path.Combine(_spool.Recordings, "not-a-directory");
        await File.WriteAllTextAsync(blocked, "", Ct);
        var broken = ActivatorUtilities.CreateInstance<FallbackVoicemailImporter>(host.Services,
            Options.Create(new VoicemailOptions { FallbackSpoolDirectory = _spool.Root, RecordingsDirectory = Path.Combine(blocked, "recording") }));

        Assert.Equal(new FallbackImportResult(0, 0, 0, 1), await broken.ImportOnceAsync(Ct));
        Assert.Equal(0, await VoicemailTicketCountAsync());
        Assert.True(File.Exists(Path.Combine(_spool.Inbox, "msg0000.txt")));

        Assert.Equal(1, (await Importer(host).ImportOnceAsync(Ct)).Imported);
        Assert.Equal(1, await VoicemailTicketCountAsync());
    }

    [Fact]
    public async Task A_disabled_import_reads_nothing()
    {
        _spool.Leave("msg0000", "1741806500-00000006", "0722000006", seconds: 1);
        await using var host = await IvrHost.StartAsync(WednesdayEvening, externalSimulator: _sim, sharedDatabase: _database);

        var result = await host.Services.GetRequiredService<FallbackVoicemailImporter>().ImportOnceAsync(Ct);

        Assert.Equal(new FallbackImportResult(0, 0, 0, 0), result);
        Assert.Single(Directory.GetFiles(_spool.Inbox, "*.txt"));
    }
}

/// <summary>
/// A temporary Asterisk spool: <c>voicemail/citycontact/9999/INBOX</c> (the shipped fallback mailbox) and the
/// stored recordings directory.
/// </summary>
public sealed class FallbackSpool
{
    private readonly string _base = Directory.CreateTempSubdirectory("cc-fallback-").FullName;

    public FallbackSpool()
    {
        Directory.CreateDirectory(Inbox);
        Directory.CreateDirectory(Recordings);
    }

    public string Root => Path.Combine(_base, "voicemail");

    public string Mailbox => Path.Combine(Root, "citycontact", "9999");

    public string Inbox => Path.Combine(Mailbox, "INBOX");

    public string Imported => Path.Combine(Mailbox, "imported");

    public string Recordings => Path.Combine(_base, "recording");

    /// <summary>A message as app_voicemail leaves it: the 8 kHz 16-bit WAV, then its information file.</summary>
    public SpooledMessage Leave(string file, string msgId, string callerId, int seconds)
    {
        var audio = Wav.Tone(seconds * 1000, Random.Shared.Next(200, 800));
        var text = FallbackMessageFileTests.AsteriskFile(callerId, msgId, long.Parse(msgId.Split('-')[0], CultureInfo.InvariantCulture), seconds);
        File.WriteAllBytes(Path.Combine(Inbox, file + ".wav"), audio);
        File.WriteAllText(Path.Combine(Inbox, file + ".txt"), text);
        return new SpooledMessage(this, file, msgId, text, audio);
    }

    public void LeaveRaw(string file, string text, bool withAudio)
    {
        if (withAudio)
        {
            File.WriteAllBytes(Path.Combine(Inbox, file + ".wav"), Wav.Tone(1000));
        }
        File.WriteAllText(Path.Combine(Inbox, file + ".txt"), text);
    }


    public void Delete() => Directory.Delete(_base, recursive: true);
}

public sealed record SpooledMessage(FallbackSpool Spool, string File, string MsgId, string Text, byte[] Audio)
{
    /// <summary>Copies the imported files back to INBOX, as they would stay if the service could not move them.</summary>
    public void PutBack()
    {
        System.IO.File.Copy(Path.Combine(Spool.Imported, MsgId + ".wav"), Path.Combine(Spool.Inbox, File + ".wav"));
        System.IO.File.Copy(Path.Combine(Spool.Imported, MsgId + ".txt"), Path.Combine(Spool.Inbox, File + ".txt"));
    }
}
