using System.Collections.Concurrent;
using CityContact.Simulator.Changes;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CityContact.Simulator.Tests.StateMachine;

/// <summary>
/// Channel operations beyond the basic call: create, hold, MOH, mute, snoop, hangup reasons, variables, unknown media.
/// The simulator runs on a virtual clock, so timers fire only when a test advances it.
/// </summary>
public sealed class ChannelControlTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly ConcurrentQueue<StateChange> _changes = new();
    private AsteriskSimulator _sim = null!;
    private RawAriClient _ari = null!;
    private IDisposable _subscription = null!;

    public async Task InitializeAsync()
    {
        _sim = await AsteriskSimulator.StartAsync(new SimulatorOptions { Time = _clock, DefaultMediaLength = TimeSpan.FromSeconds(1) });
        _subscription = _sim.SubscribeStateChanges(_changes.Enqueue);
        _ari = await RawAriClient.ConnectAsync(_sim);
    }

    public async Task DisposeAsync()
    {
        _subscription.Dispose();
        await _ari.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private async Task<(Scripting.SimulatedCaller Caller, string Id)> AnsweredCallAsync()
    {
        var caller = _sim.Trunk.Dial(from: "+40256123456", to: "0256969", callerName: "Caller 1");
        await _ari.NextAsync("StasisStart");
        Assert.Equal(204, (await _ari.PostAsync($"channels/{caller.ChannelId}/answer")).Status);
        await _ari.NextAsync("ChannelStateChange");
        return (caller, caller.ChannelId);
    }

    [Fact]
    public async Task Trunk_call_runs_NoOp_then_Stasis_with_PJSIP_variables_that_only_AMI_sees()
    {
        var (caller, _) = await AnsweredCallAsync();
        await caller.HangUpAsync(None);
        Assert.Equal(["ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelHangupRequest", "StasisEnd"], await _ari.NextTypesAsync(7));

        var steps = _changes.Select(c => c switch
        {
            ChannelCreated created => $"created {created.Channel.State} {created.Channel.CallerNumber} {created.Channel.Context}/{created.Channel.Exten}/{created.Channel.Priority}",
            ChannelVarSet set when !set.Variable.StartsWith("RTPAUDIOQOS", StringComparison.Ordinal) => $"var {set.Variable}={set.Value}",
            ChannelDialplanStep step => $"step {step.Channel.Priority} {step.Channel.Application}({step.Channel.ApplicationData})",
            StasisEntered => "stasis",
            StasisLeft => "stasis end",
            Changes.ChannelDestroyed destroyed => $"destroyed {destroyed.Cause}",
            _ => null,
        }).OfType<string>().ToArray();
        Assert.Equal(
            [
                "created Ring +40256123456 from-trunk/0256969/1",
                "var SIPDOMAIN=127.0.0.1",
                "step 1 NoOp(trunk call 0256969 from \"Caller 1\" <+40256123456>)",
                "step 2 Stasis(citycontact,inbound,0256969)",
                "var STASISSTATUS=",
                "stasis",
                "stasis end",
                "var STASISSTATUS=SUCCESS",
                "destroyed 16",
            ],
            steps);
    }

    [Fact]
    public async Task Created_channel_is_answered_with_an_empty_dialplan_app_then_enters_Stasis_in_state_Down()
    {
        await _sim.Phone("agent1").RegisterAsync(None);
        var (status, _, body) = await _ari.PostAsync("channels/create?endpoint=PJSIP%2Fagent1&app=citycontact&appArgs=agent");
        Assert.Equal(200, status);
        var dialplan = body!.Value.GetProperty("dialplan");
        Assert.Equal(("", ""), (dialplan.GetProperty("app_name").GetString(), dialplan.GetProperty("app_data").GetString()));

        var step = await _ari.NextAsync("ChannelDialplan");
        Assert.Equal("citycontact,agent", step.GetProperty("dialplan_app_data").GetString());
        Assert.Equal("STASISSTATUS", (await _ari.NextAsync("ChannelVarset")).GetProperty("variable").GetString());
        Assert.Equal("Down", (await _ari.NextAsync("StasisStart")).GetProperty("channel").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Operations_on_an_outbound_channel_not_yet_answered_fail_with_412()
    {
        await _sim.Phone("agent1").RegisterAsync(None);
        var id = (await _ari.PostAsync("channels/create?endpoint=PJSIP%2Fagent1&app=citycontact")).Body!.Value.GetProperty("id").GetString();
        await _ari.NextAsync("ChannelDialplan");

        foreach (var operation in new[] { "answer", "play?media=sound:beep", "hold", "moh", "mute?direction=both", "dtmf?dtmf=1" })
        {
            var (status, reason, body) = await _ari.PostAsync($"channels/{id}/{operation}");
            Assert.Equal((412, "Precondition Failed"), (status, reason));
            Assert.Equal("Channel in invalid state", body!.Value.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task Unknown_media_scheme_starts_never_finishes_and_the_next_playback_plays()
    {
        var (_, id) = await AnsweredCallAsync();
        var first = (await _ari.PostAsync($"channels/{id}/play?media=nosuchscheme:foo")).Body!.Value.GetProperty("id").GetString();
        Assert.Equal(first, (await _ari.NextAsync("PlaybackStarted")).GetProperty("playback").GetProperty("id").GetString());
        Assert.Equal(404, (await _ari.SendAsync(HttpMethod.Get, $"playbacks/{first}")).Status);

        var second = (await _ari.PostAsync($"channels/{id}/play?media=sound:hello-world")).Body!.Value.GetProperty("id").GetString();
        Assert.Equal(second, (await _ari.NextAsync("PlaybackStarted")).GetProperty("playback").GetProperty("id").GetString());
        _clock.Advance(TimeSpan.FromSeconds(1));
        var finished = (await _ari.NextAsync("PlaybackFinished")).GetProperty("playback");
        Assert.Equal((second, "done"), (finished.GetProperty("id").GetString(), finished.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task App_hold_plays_music_on_hold_silently_while_the_callers_own_hold_raises_ChannelHold()
    {
        var (caller, id) = await AnsweredCallAsync();
        Assert.Equal(204, (await _ari.PostAsync($"channels/{id}/hold")).Status);
        Assert.Contains(_changes, c => c is MusicOnHoldChanged { Started: true, MusicClass: "default" } m && m.Channel.UniqueId == id);
        Assert.Equal(204, (await _ari.SendAsync(HttpMethod.Delete, $"channels/{id}/hold")).Status);
        Assert.Contains(_changes, c => c is MusicOnHoldChanged { Started: false } m && m.Channel.UniqueId == id);

        // The next event after the app's hold/unhold is the caller's own: the app's operations sent nothing.
        await caller.HoldAsync(None);
        var hold = await _ari.NextAsync("ChannelHold");
        Assert.False(hold.TryGetProperty("musicclass", out _));
        await caller.ResumeAsync(None);
        await _ari.NextAsync("ChannelUnhold");
        Assert.Contains(_changes, c => c is ChannelHoldChanged { Held: true });
    }

    [Fact]
    public async Task Hold_by_a_bridged_caller_gives_the_peer_music_on_hold()
    {
        var phone = _sim.Phone("agent1");
        await phone.RegisterAsync(None);
        phone.AnswerAfter(TimeSpan.FromSeconds(1));
        var (caller, callerId) = await AnsweredCallAsync();
        var agentId = (await _ari.PostAsync("channels?endpoint=PJSIP%2Fagent1&app=citycontact&appArgs=agent")).Body!.Value.GetProperty("id").GetString();
        Assert.Equal(["Dial", "ChannelStateChange", "Dial"], await _ari.NextTypesAsync(3));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["ChannelStateChange", "Dial", "ChannelVarset", "StasisStart"], await _ari.NextTypesAsync(4));
        var bridgeId = (await _ari.PostAsync("bridges?type=mixing")).Body!.Value.GetProperty("id").GetString();
        Assert.Equal(204, (await _ari.PostAsync($"bridges/{bridgeId}/addChannel?channel={callerId},{agentId}")).Status);

        await caller.HoldAsync(None);
        await _sim.WaitUntilAsync(_ => _changes.Any(c => c is MusicOnHoldChanged { Started: true } m && m.Channel.UniqueId == agentId)).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Mute_requires_a_valid_direction()
    {
        var (_, id) = await AnsweredCallAsync();
        var missing = await _ari.PostAsync($"channels/{id}/mute");
        Assert.Equal((400, "Direction is required"), (missing.Status, missing.Body!.Value.GetProperty("message").GetString()));
        var wrong = await _ari.PostAsync($"channels/{id}/mute?direction=sideways");
        Assert.Equal((400, "Invalid direction specified"), (wrong.Status, wrong.Body!.Value.GetProperty("message").GetString()));
        Assert.Equal(204, (await _ari.PostAsync($"channels/{id}/mute?direction=both")).Status);
        Assert.Equal(204, (await _ari.SendAsync(HttpMethod.Delete, $"channels/{id}/mute?direction=in")).Status);
        Assert.Equal(204, (await _ari.PostAsync($"channels/{id}/silence")).Status);
    }

    [Fact]
    public async Task Snoop_channel_enters_Stasis_with_its_args_and_ends_after_the_snooped_call()
    {
        var (caller, id) = await AnsweredCallAsync();
        var refused = await _ari.PostAsync($"channels/{id}/snoop?app=citycontact");
        Assert.Equal((400, "Direction must be specified for at least spy or whisper"), (refused.Status, refused.Body!.Value.GetProperty("message").GetString()));
        var unknown = await _ari.PostAsync("channels/no-such-channel/snoop?spy=in&app=citycontact");
        Assert.Equal((404, "Channel Not Found"), (unknown.Status, unknown.Reason));

        var (status, _, body) = await _ari.PostAsync($"channels/{id}/snoop?spy=in&app=citycontact&appArgs=snoop,supervisor");
        Assert.Equal(200, status);
        var snoop = body!.Value;
        Assert.Equal($"Snoop/{id}-00000000", snoop.GetProperty("name").GetString());
        Assert.Equal("Up", snoop.GetProperty("state").GetString());
        Assert.Equal("", snoop.GetProperty("dialplan").GetProperty("app_name").GetString());
        var start = await _ari.NextAsync("StasisStart");
        Assert.Equal(["snoop", "supervisor"], start.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray());
        Assert.Equal(snoop.GetProperty("id").GetString(), start.GetProperty("channel").GetProperty("id").GetString());
        Assert.Equal("citycontact,snoop,supervisor", start.GetProperty("channel").GetProperty("dialplan").GetProperty("app_data").GetString());

        await caller.HangUpAsync(None);
        Assert.Equal(["ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelHangupRequest", "StasisEnd"], await _ari.NextTypesAsync(7));
        _clock.Advance(TimeSpan.FromMilliseconds(20));
        var end = await _ari.NextAsync("StasisEnd");
        Assert.Equal(snoop.GetProperty("id").GetString(), end.GetProperty("channel").GetProperty("id").GetString());
        await _sim.WaitUntilAsync(s => s.Channels.Count == 0).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task App_hangup_of_a_snoop_sends_no_RTP_varsets()
    {
        var (_, id) = await AnsweredCallAsync();
        var snoopId = (await _ari.PostAsync($"channels/{id}/snoop/cc-snoop-1?whisper=out&app=citycontact")).Body!.Value.GetProperty("id").GetString();
        Assert.Equal("cc-snoop-1", snoopId);
        await _ari.NextAsync("StasisStart");
        Assert.Equal(204, (await _ari.SendAsync(HttpMethod.Delete, $"channels/{snoopId}")).Status);
        var hangup = await _ari.NextAsync("ChannelHangupRequest");
        Assert.Equal(32, hangup.GetProperty("cause").GetInt32());
        await _ari.NextAsync("StasisEnd");
        Assert.Single(_sim.Channels);
    }

    [Fact]
    public async Task Hangup_reason_sets_the_cause_and_an_unknown_reason_is_refused()
    {
        var phone = _sim.Phone("agent1");
        await phone.RegisterAsync(None);
        phone.AnswerAfter(TimeSpan.FromSeconds(1));
        var id = (await _ari.PostAsync("channels?endpoint=PJSIP%2Fagent1&app=citycontact")).Body!.Value.GetProperty("id").GetString();
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["Dial", "ChannelStateChange", "Dial", "ChannelStateChange", "Dial", "ChannelVarset", "StasisStart"], await _ari.NextTypesAsync(7));

        var refused = await _ari.SendAsync(HttpMethod.Delete, $"channels/{id}?reason=because");
        Assert.Equal((400, "Invalid Reason"), (refused.Status, refused.Reason));
        Assert.Equal(204, (await _ari.SendAsync(HttpMethod.Delete, $"channels/{id}?reason=busy")).Status);
        Assert.Equal(
            ["ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelHangupRequest", "StasisEnd", "ChannelVarset"],
            await _ari.NextTypesAsync(8));
        var destroyed = await _ari.NextAsync("ChannelDestroyed");
        Assert.Equal((17, "User busy"), (destroyed.GetProperty("cause").GetInt32(), destroyed.GetProperty("cause_txt").GetString()));
    }

    [Fact]
    public async Task Recording_ends_on_the_terminating_digit_and_is_a_downloadable_wav_of_whole_seconds()
    {
        var (caller, id) = await AnsweredCallAsync();
        var name = $"msg-{Guid.NewGuid():N}";
        var (status, _, body) = await _ari.PostAsync($"channels/{id}/record?name={name}&format=wav&terminateOn=%23&ifExists=overwrite");
        Assert.Equal(201, status);
        Assert.Equal("queued", body!.Value.GetProperty("state").GetString());
        await _ari.NextAsync("RecordingStarted");
        Assert.Equal("recording", (await _ari.SendAsync(HttpMethod.Get, $"recordings/live/{name}")).Body!.Value.GetProperty("state").GetString());
        caller.Speak(TimeSpan.FromSeconds(1));
        _clock.Advance(TimeSpan.FromSeconds(1.5));
        await caller.PressAsync("#", None);
        await _ari.NextAsync("ChannelDtmfReceived");
        var finished = (await _ari.NextAsync("RecordingFinished")).GetProperty("recording");
        Assert.Equal("done", finished.GetProperty("state").GetString());
        Assert.Equal(1, finished.GetProperty("duration").GetInt32());

        using var file = await _ari.Http.GetAsync($"recordings/stored/{name}/file");
        Assert.Equal(System.Net.HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("audio/wav", file.Content.Headers.ContentType!.MediaType);
        var bytes = await file.Content.ReadAsByteArrayAsync();
        Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
    }

    [Fact]
    public async Task Variables_check_the_name_first_and_use_their_own_not_found_wording()
    {
        var noName = await _ari.SendAsync(HttpMethod.Get, "channels/no-such-channel/variable");
        Assert.Equal((400, "Variable name is required"), (noName.Status, noName.Body!.Value.GetProperty("message").GetString()));
        var get = await _ari.SendAsync(HttpMethod.Get, "channels/no-such-channel/variable?variable=X");
        Assert.Equal((404, "Channel Not Found", "Provided channel was not found"), (get.Status, get.Reason, get.Body!.Value.GetProperty("message").GetString()));
        var set = await _ari.PostAsync("channels/no-such-channel/variable?variable=X&value=1");
        Assert.Equal((404, "Not Found", "Channel not found"), (set.Status, set.Reason, set.Body!.Value.GetProperty("message").GetString()));
    }
}
