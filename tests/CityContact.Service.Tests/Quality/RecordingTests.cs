using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Queues;
using CityContact.Service.Tests.Ivr;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Service.Tests.Quality;

/// <summary>A queue call recorded by the queue's policy: the notice first, both legs for the talk time, each listen audited.</summary>
public sealed class RecordingTests
{
    private static CancellationToken Ct => TestContext.Timeout(60);

    private static Task<IvrHost> StartAsync() => IvrHost.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Queues:WrapUpSeconds"] = "0.3",
        ["Queues:RingTimeoutSeconds"] = "2",
        ["Queues:AnnounceEverySeconds"] = "600",
        ["Queues:NoAgents"] = "JoinEmpty",
    });

    private static async Task<long> TaxesQueueAsync(HttpClient admin)
    {
        var queues = await admin.GetFromJsonAsync<JsonElement>("/api/queues/realtime", Ct);
        return queues.GetProperty("items").EnumerateArray().Single(q => q.GetProperty("code").GetString() == "taxes").GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task A_recorded_queue_call_plays_the_notice_before_the_agent_rings_and_its_file_lasts_the_talk_time()
    {
        await using var host = await StartAsync();
        var phone = host.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        using var admin = host.Admin();
        var agent = await admin.PostAsJsonAsync("/api/agents", new { name = "agent1", sipEndpoint = "PJSIP/agent1", skills = new[] { new { skill = "taxes", penalty = 0 } } }, Ct);
        var agentId = (await agent.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        (await admin.PostAsync($"/api/agents/{agentId}/login", null, Ct)).EnsureSuccessStatusCode();
        var queueId = await TaxesQueueAsync(admin);
        var refused = await admin.PutAsJsonAsync($"/api/quality/queues/{queueId}/recording", new { policy = "sample", share = 1.5 }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/quality/queues/{queueId}/recording", new { policy = "all" }, Ct)).StatusCode);

        var caller = host.Sim.Trunk.Dial("+40256000077", "0256969");
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        await caller.PressAsync("1", Ct);
        await phone.WaitForAnsweredCallAsync(Ct);
        await host.Sim.WaitUntilAsync(s => s.LiveRecordings.Any(r => r.Name == $"call-{caller.ChannelId}"), Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct); // the conversation itself: its length is what the file must match
        await phone.HangUpAsync(Ct);
        await caller.WaitForHangupAsync(Ct);

        var requests = host.Sim.Requests;
        var notice = requests.ToList().FindIndex(r => r.Path.StartsWith($"/ari/channels/{caller.ChannelId}/play", StringComparison.Ordinal) && r.Query.Contains("recording-notice", StringComparison.Ordinal));
        var ring = requests.ToList().FindIndex(r => r.Method == "POST" && r.Path == "/ari/channels" && r.Query.Contains("agent1", StringComparison.Ordinal));
        Assert.True(notice >= 0 && notice < ring, $"notice at {notice}, agent rung at {ring}");

        await host.EndedCallAsync(caller.ChannelId, Ct);
        await host.Services.GetRequiredService<QueueCallLog>().WaitUntilStoredAsync(Ct);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var talkMs = await connection.ExecuteScalarAsync<long>("SELECT talk_ms FROM calls WHERE channel_id = @id", new { id = caller.ChannelId });
        var recordingId = 0L;
        while (recordingId == 0)
        {
            recordingId = await connection.ExecuteScalarAsync<long?>("SELECT id FROM call_recordings WHERE channel_id = @id AND ended_at IS NOT NULL", new { id = caller.ChannelId }) ?? 0;
            await Task.Delay(20, Ct);
        }
        var supervisorKey = (await (await admin.PostAsJsonAsync("/api/keys", new { name = "qa", role = "supervisor" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetString();
        using var supervisor = host.Client();
        supervisor.DefaultRequestHeaders.Add("X-Api-Key", supervisorKey);
        var file = await supervisor.GetAsync($"/api/recordings/{recordingId}/file", Ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        var wav = await file.Content.ReadAsByteArrayAsync(Ct);
        var length = TimeSpan.FromSeconds((wav.Length - 44) / (double)BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(28)));
        Assert.True(Math.Abs(length.TotalMilliseconds - talkMs) <= 1000, $"recording {length.TotalMilliseconds} ms, talk {talkMs} ms");
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM audit_log WHERE action = 'recording.listen' AND entity = 'call_recording' AND entity_id = @id", new { id = recordingId.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
    }

    [Fact]
    public async Task A_queue_whose_policy_is_off_plays_no_notice_and_records_nothing()
    {
        await using var host = await StartAsync();
        var phone = host.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);
        using var admin = host.Admin();
        var agent = await admin.PostAsJsonAsync("/api/agents", new { name = "agent1", sipEndpoint = "PJSIP/agent1", skills = new[] { new { skill = "taxes", penalty = 0 } } }, Ct);
        var agentId = (await agent.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        (await admin.PostAsync($"/api/agents/{agentId}/login", null, Ct)).EnsureSuccessStatusCode();

        var caller = host.Sim.Trunk.Dial("+40256000078", "0256969");
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        await caller.PressAsync("1", Ct);
        await phone.WaitForAnsweredCallAsync(Ct);
        await phone.HangUpAsync(Ct);
        await host.EndedCallAsync(caller.ChannelId, Ct);

        Assert.DoesNotContain(host.Sim.Requests, r => r.Query.Contains("recording-notice", StringComparison.Ordinal) || r.Path.EndsWith("/snoop", StringComparison.Ordinal));
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM call_recordings"));
    }
}
