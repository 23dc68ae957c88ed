using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Queues;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Service.Tests.Queues;

/// <summary>
/// Callbacks end to end through the simulator: deskphone agent1 is the taxes agent, and the "citizen" is deskphone
/// agent2 (the callback endpoint), so the test sees every leg the service originates.
/// </summary>
public sealed class CallbackCallTests
{
    private const string AgentEndpoint = "agent1";
    private const string CitizenEndpoint = "agent2";

    private static CancellationToken Ct => TestContext.Timeout(60);

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Queues:WrapUpSeconds"] = "0.05",
        ["Queues:RingTimeoutSeconds"] = "2",
        ["Queues:AnnounceEverySeconds"] = "600",
        ["Queues:NoAgents"] = "JoinEmpty",
        ["Queues:CallbackEndpoint"] = $"PJSIP/{CitizenEndpoint}",
    };

    private static Task<AsteriskSimulator> SimulatorAsync(string? recordings = null) => AsteriskSimulator.StartAsync(new SimulatorOptions
    {
        AriUser = "cc-callbacks",
        AriPassword = Guid.NewGuid().ToString("N"),
        DefaultMediaLength = TimeSpan.FromMilliseconds(30),
        Time = new ScaledTimeProvider(1, IvrHost.WednesdayMorning),
        PhoneEndpoints = [AgentEndpoint, CitizenEndpoint],
        RecordingsDirectory = recordings,
    }, Ct);

    private static async Task RegisterPhonesAsync(AsteriskSimulator sim)
    {
        await sim.Phone(AgentEndpoint).AnswerAfter(TimeSpan.Zero).RegisterAsync(Ct);
        await sim.Phone(CitizenEndpoint).AnswerAfter(TimeSpan.FromMilliseconds(50)).RegisterAsync(Ct);
    }

    private static async Task<long> AddAgentAsync(IvrHost host)
    {
        using var admin = host.Admin();
        var response = await admin.PostAsJsonAsync("/api/agents", new
        {
            name = AgentEndpoint, sipEndpoint = $"PJSIP/{AgentEndpoint}", skills = new[] { new { skill = "taxes", penalty = 0 } },
        }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    private static async Task LoginAsync(IvrHost host, long agent)
    {
        using var admin = host.Admin();
        (await admin.PostAsync($"/api/agents/{agent}/login", null, Ct)).EnsureSuccessStatusCode();
    }

    private static async Task<long> TaxesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<long>("SELECT id FROM departments WHERE code = 'taxes'");
    }

    private static async Task<StoredCallback> EndedAsync(IvrHost host, long id)
    {
        var store = host.Services.GetRequiredService<CallbackStore>();
        while (true)
        {
            if (await store.GetAsync(id, Ct) is { State: not (CallbackStates.Pending or CallbackStates.Dialing) } ended)
            {
                return ended;
            }
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>Originates the service asked for toward <paramref name="endpoint"/>, from the simulator's request log.</summary>
    private static List<AriRequestRecord> OriginatesTo(AsteriskSimulator sim, string endpoint) =>
        [.. sim.Requests.Where(r => r.Method == "POST" && r.Path.StartsWith("/ari/channels", StringComparison.Ordinal)
            && r.Parameters.TryGetValue("endpoint", out var e) && e == $"PJSIP/{endpoint}")];

    /// <summary>
    /// Completes when the citizen's channel is created, with whether the agent's leg still had a playback queued or
    /// playing at that instant (the condition runs inside the simulator, on the state change that created the channel).
    /// </summary>
    private static async Task<bool> AgentStillHearingWhenCitizenIsCreatedAsync(AsteriskSimulator sim)
    {
        var hearing = true;
        await sim.WaitUntilAsync(s =>
        {
            if (!s.Channels.Any(c => c.Endpoint == CitizenEndpoint))
            {
                return false;
            }
            var agentLeg = s.Channels.Single(c => c.Endpoint == AgentEndpoint).UniqueId;
            hearing = s.Playbacks.Any(p => p.TargetUri == $"channel:{agentLeg}");
            return true;
        }, Ct);
        return hearing;
    }

    /// <summary>The media of every playback started on a leg toward <paramref name="endpoint"/> before the citizen was originated.</summary>
    private static List<string> MediaPlayedBeforeCitizen(AsteriskSimulator sim)
    {
        var requests = sim.Requests.ToList();
        var citizen = requests.FindIndex(r => r.Parameters.TryGetValue("endpoint", out var e) && e == $"PJSIP/{CitizenEndpoint}");
        Assert.True(citizen > 0, "the citizen was never originated");
        var agentLeg = requests.Single(r => r.Parameters.TryGetValue("endpoint", out var e) && e == $"PJSIP/{AgentEndpoint}").Parameters["channelId"];
        return [.. requests.Take(citizen)
            .Where(r => r.Method == "POST" && r.Path.StartsWith($"/ari/channels/{agentLeg}/play", StringComparison.Ordinal))
            .Select(r => r.Parameters["media"])];
    }

    [Fact]
    public async Task A_queue_callback_plays_the_summary_to_the_agent_and_only_after_it_ends_dials_the_citizen_once()
    {
        await using var sim = await SimulatorAsync();
        await using var host = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim);
        await RegisterPhonesAsync(sim);
        await LoginAsync(host, await AddAgentAsync(host));
        var citizenCreated = AgentStillHearingWhenCitizenIsCreatedAsync(sim);

        var id = await host.Services.GetRequiredService<ICallbackScheduler>().RequestAsync(
            new CallbackRequest(await TaxesAsync(host.Database.ConnectionString), "+40721000444", null, null, IvrHost.WednesdayMorning, 0), Ct);
        Assert.False(await citizenCreated);
        await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
        await sim.Phone(CitizenEndpoint).HangUpAsync(Ct);

        var ended = await EndedAsync(host, id);
        Assert.Equal((CallbackStates.Reached, 1), (ended.State, ended.Attempts));
        Assert.Equal(["sound:citycontact/ro/callback-summary"], MediaPlayedBeforeCitizen(sim));
        Assert.Single(OriginatesTo(sim, CitizenEndpoint));
    }

    [Fact]
    public async Task A_voicemail_callback_plays_the_message_then_a_prompt_to_the_agent_before_the_citizen_is_dialled()
    {
        var recordings = Directory.CreateTempSubdirectory("cc-callback-recordings-");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(recordings.FullName, "voicemail-cb-1.wav"), Wav.Tone(400), Ct);
            await using var sim = await SimulatorAsync(recordings.FullName);
            await using var host = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim);
            await RegisterPhonesAsync(sim);
            await LoginAsync(host, await AddAgentAsync(host));
            var department = await TaxesAsync(host.Database.ConnectionString);
            await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
            var ticket = await connection.ExecuteScalarAsync<long>("""
                INSERT INTO tickets (kind, subject, department_id, citizen_phone, recording_ref)
                VALUES ('callback', 'Voicemail message', @department, '+40721000777', 'voicemail-cb-1') RETURNING id
                """, new { department });
            var citizenCreated = AgentStillHearingWhenCitizenIsCreatedAsync(sim);

            var id = await host.Services.GetRequiredService<ICallbackScheduler>().RequestAsync(
                new CallbackRequest(department, "+40721000777", ticket, null, IvrHost.WednesdayMorning, 0), Ct);
            Assert.False(await citizenCreated);
            await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
            await sim.Phone(CitizenEndpoint).HangUpAsync(Ct);

            Assert.Equal(CallbackStates.Reached, (await EndedAsync(host, id)).State);
            Assert.Equal(["recording:voicemail-cb-1,sound:citycontact/ro/callback-connecting"], MediaPlayedBeforeCitizen(sim));
            // The ticket's note follows the request's final state.
            while (!(await connection.QueryAsync<string>("SELECT note FROM ticket_history WHERE ticket_id = @ticket AND note IS NOT NULL", new { ticket }))
                .Contains("Callback attempt 1: reached"))
            {
                await Task.Delay(20, Ct);
            }
        }
        finally
        {
            recordings.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_busy_citizen_is_tried_again_from_a_trigger_at_the_retry_time_and_each_outcome_is_noted_on_the_ticket()
    {
        await using var sim = await SimulatorAsync();
        await using var host = await IvrHost.StartAsync(settings: new Dictionary<string, string?>(Settings) { ["Queues:CallbackRetryMinutes"] = "0.1" },
            externalSimulator: sim);
        await RegisterPhonesAsync(sim);
        sim.Phone(CitizenEndpoint).RejectBusy();
        await LoginAsync(host, await AddAgentAsync(host));
        var department = await TaxesAsync(host.Database.ConnectionString);
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        var ticket = await connection.ExecuteScalarAsync<long>(
            "INSERT INTO tickets (kind, subject, department_id) VALUES ('callback', 'Call me back', @department) RETURNING id", new { department });
        var store = host.Services.GetRequiredService<CallbackStore>();
        var triggers = host.Services.GetRequiredService<CallbackTriggers>();

        var id = await host.Services.GetRequiredService<ICallbackScheduler>().RequestAsync(
            new CallbackRequest(department, "+40721000555", ticket, null, IvrHost.WednesdayMorning, 0), Ct);
        StoredCallback? busy;
        while ((busy = await store.GetAsync(id, Ct)) is not { LastOutcome: CallbackStates.Busy })
        {
            await Task.Delay(20, Ct);
        }
        Assert.Equal((CallbackStates.Pending, 1), (busy.State, busy.Attempts));
        // The outcome is stored first, then the trigger moves from the attempt's lease watch to the retry time (seconds before it).
        var due = new DateTimeOffset(DateTime.SpecifyKind(busy.NotBefore, DateTimeKind.Utc));
        while (await triggers.NextFireAsync(id, Ct) is not { } next || Math.Abs((next - due).TotalMilliseconds) >= 1)
        {
            await Task.Delay(20, Ct);
        }
        sim.Phone(CitizenEndpoint).AnswerAfter(TimeSpan.FromMilliseconds(50));
        await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
        await sim.Phone(CitizenEndpoint).HangUpAsync(Ct);

        var ended = await EndedAsync(host, id);
        Assert.Equal((CallbackStates.Reached, 2), (ended.State, ended.Attempts));
        Assert.Equal(2, OriginatesTo(sim, CitizenEndpoint).Count);
        // Reached: the request's job and trigger go, just after its row is final.
        while (await triggers.NextFireAsync(id, Ct) is not null)
        {
            await Task.Delay(20, Ct);
        }
        List<string> notes;
        while ((notes = [.. await connection.QueryAsync<string>(
            "SELECT note FROM ticket_history WHERE ticket_id = @ticket AND note LIKE 'Callback attempt%' ORDER BY id", new { ticket })]).Count < 2)
        {
            await Task.Delay(20, Ct);
        }
        Assert.Equal(["Callback attempt 1: busy", "Callback attempt 2: reached"], notes);
    }

    [Fact]
    public async Task Each_dial_of_a_citizen_leaves_one_outbound_call_row_failed_busy_or_answered_with_the_agent_and_talk_time()
    {
        await using var sim = await SimulatorAsync();
        await using var host = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim);
        await RegisterPhonesAsync(sim);
        var agent = await AddAgentAsync(host);
        await LoginAsync(host, agent);
        var department = await TaxesAsync(host.Database.ConnectionString);
        var scheduler = host.Services.GetRequiredService<ICallbackScheduler>();
        var store = host.Services.GetRequiredService<CallbackStore>();

        sim.Phone(CitizenEndpoint).RejectBusy();
        var busyRequest = await scheduler.RequestAsync(new CallbackRequest(department, "+40721000661", null, null, IvrHost.WednesdayMorning, 0), Ct);
        while (await store.GetAsync(busyRequest, Ct) is not { LastOutcome: CallbackStates.Busy })
        {
            await Task.Delay(20, Ct);
        }
        sim.Phone(CitizenEndpoint).AnswerAfter(TimeSpan.FromMilliseconds(50));
        var reachedRequest = await scheduler.RequestAsync(new CallbackRequest(department, "+40721000662", null, null, IvrHost.WednesdayMorning, 0), Ct);
        await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
        await sim.Phone(CitizenEndpoint).HangUpAsync(Ct);
        Assert.Equal(CallbackStates.Reached, (await EndedAsync(host, reachedRequest)).State);
        // Both rows are recorded before the request's outcome is stored; the writers behind them finish here.
        await host.Services.GetRequiredService<CallRecorder>().WaitUntilStoredAsync(Ct);
        await host.Services.GetRequiredService<QueueCallLog>().WaitUntilStoredAsync(Ct);

        using var admin = host.Admin();
        var outbound = await admin.GetFromJsonAsync<JsonElement>("/api/calls?direction=outbound", Ct);
        var legs = OriginatesTo(sim, CitizenEndpoint).Select(r => r.Parameters["channelId"]).ToList();
        var rows = outbound.GetProperty("items").EnumerateArray().ToList();
        // Newest first: the answered attempt, then the busy one, each keyed by its citizen leg.
        Assert.Equal([legs[1], legs[0]], rows.Select(r => r.GetProperty("channelId").GetString()));
        var (answered, busy) = (rows[0], rows[1]);

        Assert.Equal(("answered", "+40721000662", $"PJSIP/{AgentEndpoint}", "ro", agent, department),
            (answered.GetProperty("outcome").GetString(), answered.GetProperty("dialedNumber").GetString(), answered.GetProperty("caller").GetString(),
             answered.GetProperty("language").GetString(), answered.GetProperty("agentId").GetInt64(), answered.GetProperty("departmentId").GetInt64()));
        Assert.True(answered.GetProperty("talkMs").GetInt64() > 0);
        Assert.Equal("citizen-hangup", answered.GetProperty("hangupCause").GetString());
        Assert.Equal(JsonValueKind.Number, answered.GetProperty("queueId").ValueKind);

        Assert.Equal(("failed", "busy", "+40721000661", agent, JsonValueKind.Null),
            (busy.GetProperty("outcome").GetString(), busy.GetProperty("hangupCause").GetString(), busy.GetProperty("dialedNumber").GetString(),
             busy.GetProperty("agentId").GetInt64(), busy.GetProperty("talkMs").ValueKind));
        Assert.Equal(JsonValueKind.Null, busy.GetProperty("answeredAt").ValueKind);

        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/calls/{answered.GetProperty("id").GetInt64()}", Ct);
        Assert.Equal(["callback.agent-answered", "callback.citizen-dialled", "callback.citizen-answered", "ended"],
            detail.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("type").GetString()));
        // Not traffic: no inbound row came from either attempt.
        var inbound = await admin.GetFromJsonAsync<JsonElement>("/api/calls?direction=inbound", Ct);
        Assert.Equal(0, inbound.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_callback_waiting_when_its_host_stops_is_dialled_exactly_once_by_the_next_host_without_counting_an_attempt()
    {
        await using var sim = await SimulatorAsync();
        var database = new DatabaseFixture();
        await database.InitializeAsync();
        try
        {
            long id;
            long agent;
            DateTimeOffset stoppedAt;
            await using (var first = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim, sharedDatabase: database))
            {
                await RegisterPhonesAsync(sim);
                agent = await AddAgentAsync(first);
                id = await first.Services.GetRequiredService<ICallbackScheduler>().RequestAsync(
                    new CallbackRequest(await TaxesAsync(database.ConnectionString), "+40721000888", null, null, IvrHost.WednesdayMorning, 0), Ct);
                // Claimed and waiting in the queue: no agent is logged in yet.
                var store = first.Services.GetRequiredService<CallbackStore>();
                while ((await store.GetAsync(id, Ct))!.State != CallbackStates.Dialing)
                {
                    await Task.Delay(20, Ct);
                }
                stoppedAt = first.Time.GetUtcNow();
            }
            await using (var connection = new NpgsqlConnection(database.ConnectionString))
            {
                var (state, attempts, outcome) = await connection.QuerySingleAsync<(string, int, string)>(
                    "SELECT state, attempts, last_outcome FROM callback_requests WHERE id = @id", new { id });
                Assert.Equal((CallbackStates.Pending, 0, "interrupted"), (state, attempts, outcome));
            }
            Assert.Empty(OriginatesTo(sim, CitizenEndpoint));

            await using var second = await IvrHost.StartAsync(stoppedAt, Settings, externalSimulator: sim, sharedDatabase: database);
            await LoginAsync(second, agent);
            await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
            await sim.Phone(CitizenEndpoint).HangUpAsync(Ct);

            var ended = await EndedAsync(second, id);
            Assert.Equal((CallbackStates.Reached, 1), (ended.State, ended.Attempts));
            Assert.Single(OriginatesTo(sim, CitizenEndpoint));
        }
        finally
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task Requests_left_dialing_by_a_crashed_instance_are_taken_over_on_start_and_the_citizen_is_never_called_twice()
    {
        await using var sim = await SimulatorAsync();
        var database = new DatabaseFixture();
        await database.InitializeAsync();
        try
        {
            // The instance that crashes: it seeds the departments; its requests are written as its crash leaves them.
            await (await IvrHost.StartAsync(settings: Settings, externalSimulator: sim, sharedDatabase: database)).DisposeAsync();
            var department = await TaxesAsync(database.ConnectionString);
            long neverDialled, answered;
            await using (var connection = new NpgsqlConnection(database.ConnectionString))
            {
                // As a crash leaves them: 'dialing', the lease run out, no Quartz trigger.
                const string Crashed = """
                    INSERT INTO callback_requests (department_id, phone, not_before, state, attempts, claimed_by, claimed_at, lease_until,
                                                   agent_channel, citizen_channel, citizen_answered_at)
                    VALUES (@department, @phone, @notBefore, 'dialing', @attempts, 'crashed-instance', now() - interval '2 minutes',
                            now() - interval '1 minute', @agent, @channel, @answeredAt) RETURNING id
                    """;
                var notBefore = IvrHost.WednesdayMorning.UtcDateTime;
                neverDialled = await connection.ExecuteScalarAsync<long>(Crashed,
                    new { department, phone = "+40721000901", notBefore, attempts = 0, agent = "abandoned-agent-leg", channel = (string?)null, answeredAt = (DateTime?)null });
                answered = await connection.ExecuteScalarAsync<long>(Crashed,
                    new { department, phone = "+40721000902", notBefore, attempts = 1, agent = "talking-agent-leg", channel = "talking-citizen-leg", answeredAt = (DateTime?)DateTime.UtcNow });
            }

            await using var host = await IvrHost.StartAsync(settings: Settings, externalSimulator: sim, sharedDatabase: database);
            await RegisterPhonesAsync(sim);
            var takenOverAnswered = await EndedAsync(host, answered);
            Assert.Equal((CallbackStates.Reached, 1), (takenOverAnswered.State, takenOverAnswered.Attempts));

            await LoginAsync(host, await AddAgentAsync(host));
            await sim.WaitUntilAsync(s => s.Bridges.Any(b => b.BridgeType == "mixing" && b.Channels.Length == 2), Ct);
            await sim.Phone(CitizenEndpoint).HangUpAsync(Ct);
            var takenOverNeverDialled = await EndedAsync(host, neverDialled);
            Assert.Equal((CallbackStates.Reached, 1), (takenOverNeverDialled.State, takenOverNeverDialled.Attempts));

            var citizenLegs = OriginatesTo(sim, CitizenEndpoint);
            Assert.Equal($"callback,{neverDialled},citizen", Assert.Single(citizenLegs).Parameters["appArgs"]);
            // The agent the crashed instance had left on the line is hung up; a call already talking is left alone.
            var hangups = sim.Requests.Where(r => r.Method == "DELETE").Select(r => r.Path).ToList();
            Assert.Contains("/ari/channels/abandoned-agent-leg", hangups);
            Assert.DoesNotContain(hangups, p => p.Contains("talking", StringComparison.Ordinal));
        }
        finally
        {
            await database.DisposeAsync();
        }
    }
}
