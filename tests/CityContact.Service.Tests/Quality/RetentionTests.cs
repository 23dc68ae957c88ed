using System.Net;
using CityContact.Service.Features.Quality;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Service.Tests.Quality;

/// <summary>The retention sweep with the clock past the periods: exactly what is older goes, recorded; a held ticket's recording stays.</summary>
public sealed class RetentionTests
{
    private static CancellationToken Ct => TestContext.Timeout(60);

    [Fact]
    public async Task The_sweep_deletes_exactly_what_is_past_its_period_records_each_deletion_and_keeps_a_held_tickets_recording()
    {
        var recordings = Directory.CreateTempSubdirectory("cc-retention-");
        try
        {
            await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions
            {
                AriUser = "cc-retention",
                AriPassword = Guid.NewGuid().ToString("N"),
                Time = new ScaledTimeProvider(1, IvrHost.WednesdayMorning),
                RecordingsDirectory = recordings.FullName,
            }, Ct);
            await using var host = await IvrHost.StartAsync(externalSimulator: sim, settings: new Dictionary<string, string?>
            {
                ["Retention:RecordingDays"] = "90",
                ["Retention:VoicemailDays"] = "30",
                ["Retention:ChatDays"] = "365",
            });
            var now = host.Time.GetUtcNow();
            foreach (var name in new[] { "call-old", "call-recent", "call-held", "vm-old", "vm-recent" })
            {
                await File.WriteAllBytesAsync(Path.Combine(recordings.FullName, name + ".wav"), Infrastructure.Wav.Silence(8000, 1, 16, 100), Ct);
            }
            await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
            var held = await connection.ExecuteScalarAsync<long>("""
                INSERT INTO calls (channel_id, caller, dialed_number, language, started_at) VALUES ('chan-held', '+40256000001', '0256969', 'en', @at) RETURNING id
                """, new { at = now.AddDays(-200) });
            await connection.ExecuteAsync("""
                INSERT INTO call_recordings (channel_id, name, started_at, ended_at) VALUES
                    ('chan-old', 'call-old', @old, @old), ('chan-recent', 'call-recent', @recent, @recent), ('chan-held', 'call-held', @old, @old)
                """, new { old = now.AddDays(-91), recent = now.AddDays(-89) });
            var disputed = await connection.ExecuteScalarAsync<long>("""
                INSERT INTO tickets (kind, subject, number, call_id, created_at) VALUES ('complaint', 'Disputed call', 'TM-2024-900001', @held, @at) RETURNING id
                """, new { held, at = now.AddDays(-200) });
            await connection.ExecuteAsync("""
                INSERT INTO tickets (kind, subject, number, recording_ref, created_at) VALUES
                    ('callback', 'Old message', 'TM-2024-900002', 'vm-old', @old), ('callback', 'New message', 'TM-2024-900003', 'vm-recent', @recent)
                """, new { old = now.AddDays(-31), recent = now.AddDays(-29) });
            var group = await connection.ExecuteScalarAsync<long>("INSERT INTO emergency_groups (name, created_by) VALUES ('Retention', 'test') RETURNING id");
            await connection.ExecuteAsync("""
                INSERT INTO emergency_timeline (group_id, at, kind, actor, body) VALUES
                    (@group, @old, 'message', 'a', 'old'), (@group, @recent, 'message', 'a', 'recent'), (@group, @old, 'convened', 'a', NULL)
                """, new { group, old = now.AddDays(-366), recent = now.AddDays(-364) });
            using var admin = host.Admin();
            Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsync($"/api/retention/holds/{disputed}", null, Ct)).StatusCode);

            var result = await host.Services.GetRequiredService<RetentionSweep>().RunAsync(Ct);

            Assert.Equal(new RetentionResult(1, 1, 1, 0), result);
            Assert.Equal(["call-held", "call-recent", "vm-recent"], Directory.GetFiles(recordings.FullName).Select(Path.GetFileNameWithoutExtension).Order());
            Assert.Equal(["call-old"], await connection.QueryAsync<string>("SELECT name FROM call_recordings WHERE deleted_at IS NOT NULL"));
            Assert.Equal(["recent"], await connection.QueryAsync<string>("SELECT body FROM emergency_timeline WHERE kind = 'message'"));
            Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM emergency_timeline WHERE kind = 'convened'"));
            var deletions = (await connection.QueryAsync<(string Kind, string Reference)>("SELECT kind, reference FROM retention_deletions ORDER BY id")).ToList();
            Assert.Equal(["recording:call-old", "voicemail:vm-old", "chat"], deletions.Select(d => d.Kind == "chat" ? "chat" : $"{d.Kind}:{d.Reference}"));
            Assert.Null(await connection.ExecuteScalarAsync<string>("SELECT recording_ref FROM tickets WHERE number = 'TM-2024-900002'"));

            // Released, the held recording goes at the next run; a second run finds nothing else.
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/retention/holds/{disputed}", Ct)).StatusCode);
            Assert.Equal(new RetentionResult(1, 0, 0, 0), await host.Services.GetRequiredService<RetentionSweep>().RunAsync(Ct));
            Assert.False(File.Exists(Path.Combine(recordings.FullName, "call-held.wav")));
        }
        finally
        {
            recordings.Delete(recursive: true);
        }
    }
}
