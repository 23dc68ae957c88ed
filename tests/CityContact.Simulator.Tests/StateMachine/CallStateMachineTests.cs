using System.Net;
using Xunit;

namespace CityContact.Simulator.Tests.StateMachine;

public sealed class CallStateMachineTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private AsteriskSimulator _sim = null!;
    private RawAriClient _ari = null!;

    public async Task InitializeAsync()
    {
        _sim = await AsteriskSimulator.StartAsync(new SimulatorOptions { DefaultMediaLength = TimeSpan.FromMilliseconds(100) });
        _ari = await RawAriClient.ConnectAsync(_sim);
    }

    public async Task DisposeAsync()
    {
        await _ari.DisposeAsync();
        await _sim.DisposeAsync();
    }

    private async Task<(Scripting.SimulatedCaller Caller, string Id)> AnsweredCallAsync()
    {
        var caller = _sim.Trunk.Dial(from: "+40256123456", to: "0256969", callerName: "Caller 1");
        var start = await _ari.NextAsync("StasisStart");
        Assert.Equal(["inbound", "0256969"], start.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray());
        Assert.Equal("Ring", start.GetProperty("channel").GetProperty("state").GetString());
        Assert.Equal((204, "No Content", null), await _ari.PostAsync($"channels/{caller.ChannelId}/answer"));
        Assert.Equal("Up", (await _ari.NextAsync("ChannelStateChange")).GetProperty("channel").GetProperty("state").GetString());
        return (caller, caller.ChannelId);
    }

    [Fact]
    public async Task Inbound_call_is_answered_played_to_and_hung_up_by_the_app()
    {
        var (caller, id) = await AnsweredCallAsync();
        var (status, _, body) = await _ari.PostAsync($"channels/{id}/play?media=sound:hello-world");
        Assert.Equal(201, status);
        Assert.Equal("queued", body!.Value.GetProperty("state").GetString());
        await _ari.NextAsync("PlaybackStarted");
        Assert.Equal("done", (await _ari.NextAsync("PlaybackFinished")).GetProperty("playback").GetProperty("state").GetString());

        Assert.Equal(204, (await _ari.SendAsync(HttpMethod.Delete, $"channels/{id}?reason=normal")).Status);
        Assert.Equal(["ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelVarset", "ChannelHangupRequest", "StasisEnd"], await _ari.NextTypesAsync(7));
        Assert.True(caller.HungUp);
        Assert.Empty(_sim.Channels);
    }

    [Fact]
    public async Task Caller_hangup_during_playback_fails_the_playback_before_StasisEnd()
    {
        var (caller, id) = await AnsweredCallAsync();
        var (_, _, body) = await _ari.PostAsync($"channels/{id}/play?media=sound:demo-congrats,sound:hello-world");
        var playbackId = body!.Value.GetProperty("id").GetString();
        await _ari.NextAsync("PlaybackStarted");
        Assert.Equal("sound:demo-congrats", await caller.WaitForPlaybackAsync(1, None));
        await caller.HangUpAsync(None);

        for (var i = 0; i < 5; i++)
        {
            await _ari.NextAsync("ChannelVarset");
        }
        var hangup = await _ari.NextAsync("ChannelHangupRequest");
        Assert.False(hangup.TryGetProperty("cause", out _));
        Assert.False(hangup.TryGetProperty("soft", out _));
        Assert.Equal("failed", (await _ari.NextAsync("PlaybackFinished")).GetProperty("playback").GetProperty("state").GetString());
        await _ari.NextAsync("StasisEnd");
        Assert.Equal((404, "Not Found"), ((await _ari.SendAsync(HttpMethod.Get, $"playbacks/{playbackId}")).Status, "Not Found"));
        var answer = await _ari.PostAsync($"channels/{id}/answer");
        Assert.Equal(404, answer.Status);
        Assert.Equal("Channel not found", answer.Body!.Value.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Originate_to_a_phone_that_answers_enters_Stasis_after_the_Dial_events()
    {
        var phone = _sim.Phone("agent1");
        await phone.RegisterAsync(None);
        phone.AnswerAfter(TimeSpan.FromMilliseconds(50));
        var (status, _, body) = await _ari.PostAsync("channels?endpoint=PJSIP%2Fagent1&app=citycontact&appArgs=agent&timeout=15");
        Assert.Equal(200, status);
        Assert.Equal("Down", body!.Value.GetProperty("state").GetString());
        Assert.Equal(["Dial", "ChannelStateChange", "Dial", "ChannelStateChange", "Dial", "ChannelVarset", "StasisStart"], await _ari.NextTypesAsync(7));
        Assert.Equal("Up", _sim.Channels.Single().State);
    }

    [Fact]
    public async Task Originate_that_is_not_answered_ends_with_only_ChannelDestroyed_cause_19()
    {
        var phone = _sim.Phone("agent1");
        await phone.RegisterAsync(None);
        phone.DoNotAnswer();
        Assert.Equal(200, (await _ari.PostAsync("channels?endpoint=PJSIP%2Fagent1&app=citycontact&appArgs=agent&timeout=1")).Status);
        Assert.Equal(["Dial", "ChannelStateChange", "Dial"], await _ari.NextTypesAsync(3));
        var destroyed = await _ari.NextAsync("ChannelDestroyed");
        Assert.Equal(19, destroyed.GetProperty("cause").GetInt32());
        Assert.Equal("User alerting, no answer", destroyed.GetProperty("cause_txt").GetString());
        Assert.Equal(480, destroyed.GetProperty("tech_cause").GetInt32());
    }

    [Fact]
    public async Task Originate_with_a_channelId_creates_the_channel_under_that_id_and_refuses_it_twice()
    {
        var phone = _sim.Phone("agent1");
        await phone.RegisterAsync(None);
        phone.DoNotAnswer();
        var (status, _, body) = await _ari.PostAsync("channels?endpoint=PJSIP%2Fagent1&app=citycontact&channelId=callback-42&timeout=15");
        Assert.Equal(200, status);
        Assert.Equal("callback-42", body!.Value.GetProperty("id").GetString());
        Assert.Equal("callback-42", _sim.Channels.Single().UniqueId);

        var again = await _ari.PostAsync("channels/create?endpoint=PJSIP%2Fagent1&app=citycontact&channelId=callback-42");
        Assert.Equal((409, "Conflict"), (again.Status, again.Reason));
        Assert.Equal("Channel with given unique ID already exists", again.Body!.Value.GetProperty("message").GetString());
        Assert.Single(_sim.Channels);
    }

    [Fact]
    public async Task Originate_to_an_unregistered_phone_fails_with_Allocation_failed_and_no_events()
    {
        var (status, reason, body) = await _ari.PostAsync("channels?endpoint=PJSIP%2Fagent2&app=citycontact");
        Assert.Equal((500, "Internal Server Error"), (status, reason));
        Assert.Equal("Allocation failed", body!.Value.GetProperty("error").GetString());
        Assert.Empty(_sim.Channels);
        Assert.False(_ari.HasPendingEvent);
    }

    [Fact]
    public async Task Bridge_play_fails_while_music_on_hold_is_the_announcer()
    {
        var (_, id) = await AnsweredCallAsync();
        var bridge = (await _ari.PostAsync("bridges?type=holding&name=queue")).Body!.Value;
        Assert.Equal("holding_bridge", bridge.GetProperty("technology").GetString());
        var bridgeId = bridge.GetProperty("id").GetString();
        Assert.Equal(204, (await _ari.PostAsync($"bridges/{bridgeId}/addChannel?channel={id}")).Status);
        await _ari.NextAsync("ChannelEnteredBridge");
        Assert.Equal(204, (await _ari.PostAsync($"bridges/{bridgeId}/moh?mohClass=default")).Status);
        Assert.Equal(201, (await _ari.PostAsync($"bridges/{bridgeId}/play?media=sound:beep")).Status);
        await _ari.NextAsync("PlaybackStarted");
        Assert.Equal("failed", (await _ari.NextAsync("PlaybackFinished")).GetProperty("playback").GetProperty("state").GetString());
        Assert.Equal(204, (await _ari.SendAsync(HttpMethod.Delete, $"bridges/{bridgeId}/moh")).Status);
        Assert.Equal(201, (await _ari.PostAsync($"bridges/{bridgeId}/play?media=sound:beep")).Status);
        await _ari.NextAsync("PlaybackStarted");
        Assert.Equal("done", (await _ari.NextAsync("PlaybackFinished")).GetProperty("playback").GetProperty("state").GetString());
        var missing = await _ari.SendAsync(HttpMethod.Delete, "bridges/no-such-bridge");
        Assert.Equal((404, "Not found"), (missing.Status, missing.Reason));
    }

    [Fact]
    public async Task Recording_finishes_done_when_the_caller_hangs_up()
    {
        var (caller, id) = await AnsweredCallAsync();
        var name = $"msg-{Guid.NewGuid():N}";
        Assert.Equal(201, (await _ari.PostAsync($"channels/{id}/record?name={name}&format=wav&maxDurationSeconds=60")).Status);
        await _ari.NextAsync("RecordingStarted");
        await caller.HangUpAsync(None);
        for (var i = 0; i < 5; i++)
        {
            await _ari.NextAsync("ChannelVarset");
        }
        await _ari.NextAsync("ChannelHangupRequest");
        Assert.Equal("done", (await _ari.NextAsync("RecordingFinished")).GetProperty("recording").GetProperty("state").GetString());
        Assert.Equal(200, (await _ari.SendAsync(HttpMethod.Get, $"recordings/stored/{name}")).Status);
    }

    [Fact]
    public async Task A_second_socket_replaces_the_first_which_stays_open()
    {
        await using var second = await RawAriClient.ConnectAsync(_sim);
        await _ari.NextAsync("ApplicationReplaced");
        Assert.Null(_ari.CloseStatus);
        _sim.Trunk.Dial("+40256123456", "0256969");
        await second.NextAsync("StasisStart");
        Assert.False(_ari.HasPendingEvent);
    }

    [Fact]
    public async Task Socket_dropped_mid_call_keeps_the_call_and_replays_nothing()
    {
        var (caller, id) = await AnsweredCallAsync();
        _sim.DropWebSockets();
        await _ari.WaitClosedAsync();
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, _ari.CloseStatus);
        Assert.Single(_sim.Channels);
        Assert.Equal(200, (await _ari.SendAsync(HttpMethod.Get, $"channels/{id}")).Status);
        Assert.Equal(200, (await _ari.SendAsync(HttpMethod.Get, "applications/citycontact")).Status);

        await using var again = await RawAriClient.ConnectAsync(_sim);
        Assert.False(again.HasPendingEvent);
        await caller.HangUpAsync(None);
        await again.NextAsync("ChannelVarset");
    }

    [Fact]
    public async Task Core_restart_hangs_calls_up_with_the_shutdown_cause_and_drops_the_socket_without_a_close_frame()
    {
        // app-core-restart-mid-call.json: ChannelHangupRequest cause 4 soft, PlaybackFinished failed, StasisEnd, then the TCP
        // connection closes without a close frame; the restarted Asterisk knows neither the call nor the app.
        var (caller, id) = await AnsweredCallAsync();
        Assert.Equal(201, (await _ari.PostAsync($"channels/{id}/play?media=sound:hello-world")).Status);
        await _ari.NextAsync("PlaybackStarted");

        _sim.CoreRestartNow();

        var request = await _ari.NextAsync("ChannelHangupRequest");
        Assert.Equal(4, request.GetProperty("cause").GetInt32());
        Assert.True(request.GetProperty("soft").GetBoolean());
        Assert.Equal("failed", (await _ari.NextAsync("PlaybackFinished")).GetProperty("playback").GetProperty("state").GetString());
        await _ari.NextAsync("StasisEnd");
        await _ari.WaitClosedAsync();
        Assert.False(_ari.HasPendingEvent);
        Assert.Null(_ari.CloseStatus);
        Assert.True(caller.HungUp);
        Assert.Empty(_sim.Channels);
        Assert.Equal(404, (await _ari.SendAsync(HttpMethod.Get, "applications/citycontact")).Status);
    }

    [Fact]
    public async Task Trunk_call_without_a_connected_app_is_declined()
    {
        await _ari.DisposeAsync();
        await _sim.WaitUntilAsync(s => s.ConnectedApplications.Count == 0).WaitAsync(TimeSpan.FromSeconds(5));
        var caller = _sim.Trunk.Dial("+40256123456", "0256969");
        Assert.True(caller.Declined);
        Assert.Empty(_sim.Channels);
    }

    [Fact]
    public async Task Errors_have_Asterisk_status_reason_and_headers()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_sim.AriBaseUrl, "ari/") };
        using var denied = await anonymous.GetAsync("asterisk/info");
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal("Basic realm=\"Asterisk REST Interface\"", denied.Headers.WwwAuthenticate.ToString());
        using var viaKey = await anonymous.GetAsync("asterisk/ping?api_key=cc:cc");
        Assert.Equal(HttpStatusCode.OK, viaKey.StatusCode);

        using var notAllowed = await _ari.Http.PutAsync("channels", null);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, notAllowed.StatusCode);
        Assert.Equal("OPTIONS, GET, POST", notAllowed.Content.Headers.Allow.Count > 0 ? string.Join(", ", notAllowed.Content.Headers.Allow) : "");

        var (_, id) = await AnsweredCallAsync();
        var unset = await _ari.SendAsync(HttpMethod.Get, $"channels/{id}/variable?variable=CC_NOT_SET");
        Assert.Equal((404, "Variable Not Found"), (unset.Status, unset.Reason));
        var function = await _ari.SendAsync(HttpMethod.Get, $"channels/{id}/variable?variable=NOSUCHFUNC(x)");
        Assert.Equal((500, "Error With Function"), (function.Status, function.Reason));
        Assert.Equal(500, (await _ari.PostAsync($"channels/{id}/play")).Status);
        Assert.Equal("NOT_INUSE", (await _sim.Phone("agent1").RegisterAsync(None).ContinueWith(_ => _ari.SendAsync(HttpMethod.Get, "deviceStates/PJSIP%2Fagent1")).Unwrap()).Body!.Value.GetProperty("state").GetString());
        Assert.Contains(_sim.Requests, r => r.Path == $"/ari/channels/{id}/answer" && r.Status == 204);
    }
}
