using CityContact.RealAsterisk.Tests.Harness;
using Dapper;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// The shipped dialplan's fallback while no service is connected: Asterisk itself answers, apologises and records a
/// voicemail into 9999@citycontact; the service, once started, turns the message into a callback ticket.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class FallbackTests(AsteriskFixture fixture)
{
    private const string CityNumber = "0256969";

    /// <summary>sip-tester's PCMA recording: 236 packets of 20 ms (7.05 s by their capture times).</summary>
    private const string Speech = "/usr/share/sip-tester/g711a.pcap";
    private static readonly TimeSpan SpeechLength = TimeSpan.FromSeconds(7.05);

    [RealAsteriskFact]
    public async Task A_call_while_the_service_is_down_hears_the_apology_leaves_a_voicemail_and_becomes_a_callback_ticket_once_the_service_starts()
    {
        var ct = Timeouts.After(120);
        var asterisk = fixture.Asterisk;
        Assert.DoesNotContain("citycontact", await asterisk.CliAsync("ari show apps", ct), StringComparison.Ordinal);
        var logBefore = asterisk.ReadLog().Length;
        var caller = new SippCaller(asterisk, SippCaller.UniqueCallerNumber(), CityNumber);

        // The apology, the voicemail's beep, then speech; the caller hangs up, which saves the message.
        var result = await caller.CallAsync(
            [new Pause(asterisk.PromptLength("en", "service-unavailable") + TimeSpan.FromSeconds(1.5)), new Speak(Speech, SpeechLength), Wait(1)],
            CallerEnding.HangsUp, ct);

        var log = asterisk.ReadLog()[logBefore..];
        Assert.True(result.Answered && !result.HungUpByAsterisk && result.ExitCode == 0, $"{result}\n{log}");
        Assert.Contains("goes to the fallback voicemail", log, StringComparison.Ordinal);
        Assert.Contains("Playing 'citycontact/service-unavailable", log, StringComparison.Ordinal);
        Assert.DoesNotContain("Unable to open citycontact/service-unavailable", log, StringComparison.Ordinal);
        var left = Directory.GetFiles(Path.Combine(asterisk.FallbackMailboxDirectory, "INBOX"), "msg*.txt")
            .Single(f => File.ReadAllText(f).Contains(caller.CallerNumber, StringComparison.Ordinal));

        await using var service = await RealAsteriskService.StartAsync(asterisk, ct, settings: new Dictionary<string, string?>
        {
            ["Voicemail:FallbackSpoolDirectory"] = asterisk.VoicemailSpoolDirectory,
        });

        var (ticketId, kind, channel, recording, department) = await ImportedTicketAsync(service, caller.CallerNumber, ct);
        Assert.Equal("callback", kind);
        Assert.Equal("voicemail", channel);
        Assert.Equal("operator", department);
        Assert.True(File.Exists(Path.Combine(asterisk.Layout.SpoolDirectory, "recording", recording + ".wav")), recording);
        await using (var connection = await service.Database.DataSource.OpenConnectionAsync(ct))
        {
            var callback = await connection.QuerySingleAsync<(string Phone, string State)>(new CommandDefinition(
                "SELECT phone, state FROM callback_requests WHERE ticket_id = @ticketId", new { ticketId }, cancellationToken: ct));
            Assert.Equal((caller.CallerNumber, "pending"), callback);
        }
        // The message's files left INBOX (so Asterisk may reuse its number) for the imported folder.
        Assert.False(File.Exists(left), $"{left} is still in INBOX");
        Assert.False(File.Exists(Path.ChangeExtension(left, ".wav")));
        var imported = Directory.GetFiles(Path.Combine(asterisk.FallbackMailboxDirectory, "imported"), "*.txt")
            .Single(f => File.ReadAllText(f).Contains(caller.CallerNumber, StringComparison.Ordinal));
        Assert.True(File.Exists(Path.ChangeExtension(imported, ".wav")));
    }

    /// <summary>Waits until the importer has filed the caller's message: its ticket, by the fallback_voicemail claim row.</summary>
    private static async Task<(long Id, string Kind, string Channel, string Recording, string Department)> ImportedTicketAsync(
        RealAsteriskService service, string callerNumber, CancellationToken ct)
    {
        while (true)
        {
            await using var connection = await service.Database.DataSource.OpenConnectionAsync(ct);
            var rows = (await connection.QueryAsync<(long, string, string, string, string)>(new CommandDefinition("""
                SELECT t.id, t.kind, t.channel, t.recording_ref, d.code
                FROM fallback_voicemail f JOIN tickets t ON t.id = f.ticket_id LEFT JOIN departments d ON d.id = t.department_id
                WHERE t.citizen_phone = @callerNumber
                """, new { callerNumber }, cancellationToken: ct))).ToList();
            if (rows.Count > 0)
            {
                return Assert.Single(rows);
            }
            await Task.Delay(100, ct);
        }
    }
}
