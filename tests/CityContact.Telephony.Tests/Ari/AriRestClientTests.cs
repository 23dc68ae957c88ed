using System.Net;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Rest;
using Xunit;

namespace CityContact.Telephony.Tests.Ari;

/// <summary>The REST client against a server that answers exactly as the recorded Asterisk 22.10.1 did.</summary>
public sealed class AriRestClientTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static AriOptions Options(Uri baseUrl) => new() { BaseUrl = baseUrl, User = "cc", Password = "cc" };

    public static TheoryData<string, Func<AriRestClient, Task>, Type, HttpStatusCode, string> RecordedErrors => new()
    {
        { "answer unknown channel", c => c.Channels.AnswerAsync("no-such-channel-id", Ct), typeof(AriNotFoundException), HttpStatusCode.NotFound, "Channel not found" },
        { "hang up unknown channel", c => c.Channels.HangupAsync("1795354506.33", null, Ct), typeof(AriNotFoundException), HttpStatusCode.NotFound, "Channel not found" },
        { "stop ended playback", c => c.Playbacks.StopAsync("no-such-playback", Ct), typeof(AriNotFoundException), HttpStatusCode.NotFound, "Playback not found" },
        { "destroy unknown bridge", c => c.Bridges.DestroyAsync("no-such-bridge", Ct), typeof(AriNotFoundException), HttpStatusCode.NotFound, "Bridge not found" },
        { "unknown stored recording", c => c.Recordings.GetStoredAsync("no-such-recording", Ct), typeof(AriNotFoundException), HttpStatusCode.NotFound, "Recording not found" },
        { "unknown endpoint", c => c.Endpoints.GetAsync("PJSIP", "no-such-endpoint", Ct), typeof(AriNotFoundException), HttpStatusCode.NotFound, "Endpoint not found" },
        { "originate to unknown technology", c => c.Channels.OriginateAsync(new OriginateRequest { Endpoint = "FOO/bar" }, Ct), typeof(AriServerErrorException), HttpStatusCode.InternalServerError, "Allocation failed" },
        { "bad bridge type", c => c.Bridges.CreateAsync("foo", null, null, Ct), typeof(AriServerErrorException), HttpStatusCode.InternalServerError, "Unable to create bridge. Possible duplicate bridge id '(null)'" },
        { "bridge id taken", async c => { await c.Bridges.CreateAsync(BridgeTypes.Mixing, "cc-err-bridge", null, Ct); await c.Bridges.CreateAsync(BridgeTypes.Mixing, "cc-err-bridge", null, Ct); }, typeof(AriConflictException), HttpStatusCode.Conflict, "Bridge with id 'cc-err-bridge' already exists" },
        { "answer channel outside Stasis", c => c.Channels.AnswerAsync("1795354506.32", Ct), typeof(AriConflictException), HttpStatusCode.Conflict, "Channel not in Stasis application" },
        { "bridge a channel outside Stasis", c => c.Bridges.AddChannelAsync("cc-err-bridge", "1795354506.32", null, Ct), typeof(AriUnprocessableException), (HttpStatusCode)422, "Channel not in Stasis application" },
        { "subscribe to unknown source", c => c.Applications.SubscribeAsync(["channel:no-such-channel"], Ct), typeof(AriUnprocessableException), (HttpStatusCode)422, "Event source does not exist" },
        { "record in unknown format", c => c.Channels.RecordAsync("1795354506.33", new RecordRequest { Name = "x", Format = "nosuchformat" }, Ct), typeof(AriUnprocessableException), (HttpStatusCode)422, "specified format is unknown on this system" },
        { "bridge an unknown channel", c => c.Bridges.AddChannelAsync("cc-err-bridge", "no-such-channel-id", null, Ct), typeof(AriBadRequestException), HttpStatusCode.BadRequest, "Channel not found" },
    };

    [Theory]
    [MemberData(nameof(RecordedErrors))]
    public async Task Asterisk_errors_become_typed_exceptions_carrying_its_message(string scenario, Func<AriRestClient, Task> call, Type expected, HttpStatusCode status, string message)
    {
        await using var server = await RecordedAsteriskServer.StartAsync("ari-errors.json");
        using var http = new HttpClient();
        var client = new AriRestClient(http, Options(server.BaseUrl));

        var error = await Assert.ThrowsAsync(expected, () => call(client));

        var ari = Assert.IsAssignableFrom<AriException>(error);
        Assert.True(status == ari.StatusCode, scenario);
        Assert.Equal(message, ari.AsteriskMessage);
        Assert.Contains(message, ari.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_found_keeps_the_reason_phrase_as_sent_and_can_be_ignored_quietly()
    {
        await using var server = await RecordedAsteriskServer.StartAsync("ari-errors.json");
        using var http = new HttpClient();
        var client = new AriRestClient(http, Options(server.BaseUrl));

        var error = await Assert.ThrowsAsync<AriNotFoundException>(() => client.Bridges.DestroyAsync("no-such-bridge", Ct));
        Assert.Equal("Not found", error.Reason);
        Assert.False(await client.Channels.AnswerAsync("no-such-channel-id", Ct).IgnoreNotFound());
        Assert.Null(await client.Channels.GetAsync("no-such-channel-id", Ct).IgnoreNotFound());
    }

    [Fact]
    public async Task Wrong_credentials_are_an_authentication_error_and_credentials_travel_only_in_the_header()
    {
        await using var server = await RecordedAsteriskServer.StartAsync("ari-errors.json");
        using var http = new HttpClient();
        var client = new AriRestClient(http, new AriOptions { BaseUrl = server.BaseUrl, User = "cc", Password = "wrong" });

        var error = await Assert.ThrowsAsync<AriAuthenticationException>(() => client.Asterisk.GetInfoAsync(null, Ct));

        Assert.Equal("Authentication required", error.AsteriskMessage);
        var request = Assert.Single(server.Requests);
        Assert.Equal("Basic " + Convert.ToBase64String("cc:wrong"u8.ToArray()), request.Authorization);
        Assert.DoesNotContain("api_key", request.RawTarget, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", request.RawTarget, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Originate_create_dial_and_bridge_send_the_parameters_Asterisk_was_recorded_with()
    {
        await using var server = await RecordedAsteriskServer.StartAsync("ari-originate-agent-answers.json", "ari-create-dial.json");
        using var http = new HttpClient();
        var client = new AriRestClient(http, Options(server.BaseUrl));

        var agentLeg = await client.Channels.OriginateAsync(new OriginateRequest
        {
            Endpoint = "PJSIP/agent1",
            AppArgs = "agent",
            CallerId = "\"Customer 100\" <+15551230001>",
            Timeout = TimeSpan.FromSeconds(15),
        }, Ct);
        var bridge = await client.Bridges.CreateAsync(BridgeTypes.Mixing, null, "cc-call-1", Ct);
        await client.Bridges.AddChannelsAsync(bridge.Id, ["1795354233.18", agentLeg.Id], null, Ct);
        await client.Channels.HangupAsync(agentLeg.Id, HangupReasons.Normal, Ct);
        await client.Bridges.DestroyAsync(bridge.Id, Ct);
        var created = await client.Channels.CreateAsync(new CreateChannelRequest { Endpoint = "PJSIP/agent1", AppArgs = "agent" }, Ct);
        await client.Channels.DialAsync(created.Id, null, TimeSpan.FromSeconds(15), Ct);

        Assert.Equal("1795354233.19", agentLeg.Id);
        Assert.Equal("Down", agentLeg.State);
        Assert.Equal("simple_bridge", bridge.Technology);
        Assert.Equal("1795354300.23", created.Id);
        Assert.All(server.Requests, r => Assert.Equal("Basic Y2M6Y2M=", r.Authorization));
    }

    [Fact]
    public async Task Recording_flow_reads_live_and_stored_recordings_and_downloads_the_file()
    {
        await using var server = await RecordedAsteriskServer.StartAsync("ari-record-message.json");
        using var http = new HttpClient();
        var client = new AriRestClient(http, Options(server.BaseUrl));

        var beep = await client.Channels.PlayAsync("1795354145.4", "sound:beep", null, null, Ct);
        var live = await client.Channels.RecordAsync("1795354145.4", new RecordRequest
        {
            Name = "cc-voicemsg-1",
            Format = "wav",
            MaxDuration = TimeSpan.FromSeconds(10),
            MaxSilence = TimeSpan.FromSeconds(3),
            Beep = false,
            TerminateOn = "#",
            IfExists = "overwrite",
        }, Ct);
        var stored = await client.Recordings.ListStoredAsync(Ct);
        await using var download = await client.Recordings.OpenStoredFileAsync("cc-voicemsg-1", Ct);
        using var bytes = new MemoryStream();
        await download.Content.CopyToAsync(bytes, Ct);

        Assert.Equal("channel:1795354145.4", beep.TargetUri);
        Assert.Equal("queued", live.State);
        Assert.Equal("cc-voicemsg-1", Assert.Single(stored).Name);
        Assert.Equal("audio/wav", download.ContentType);
        Assert.Equal(113324, bytes.Length);
    }

    [Fact]
    public async Task Variables_info_endpoints_and_device_states_use_the_recorded_names_and_escaping()
    {
        await using var server = await RecordedAsteriskServer.StartAsync("ari-variables-and-info.json", "ari-endpoint-state.json");
        using var http = new HttpClient();
        var client = new AriRestClient(http, Options(server.BaseUrl));
        const string channel = "1795354392.28";

        var number = await client.Channels.GetVariableAsync(channel, "CALLERID(num)", Ct);
        await client.Channels.SetVariableAsync(channel, "CC_TICKET", "T-4711", Ct);
        var ticket = await client.Channels.GetVariableAsync(channel, "CC_TICKET", Ct);
        var unset = await Assert.ThrowsAsync<AriNotFoundException>(() => client.Channels.GetVariableAsync(channel, "CC_NOT_SET", Ct));
        var badFunction = await Assert.ThrowsAsync<AriServerErrorException>(() => client.Channels.GetVariableAsync(channel, "NOSUCHFUNC(x)", Ct));
        var info = await client.Asterisk.GetInfoAsync("system", Ct);
        var ping = await client.Asterisk.PingAsync(Ct);
        var trunk = await client.Endpoints.GetAsync("PJSIP", "trunk", Ct);
        var devices = await client.DeviceStates.ListAsync(Ct);
        var subscribed = await client.Applications.SubscribeAsync(["endpoint:PJSIP/agent1"], Ct);
        await client.DeviceStates.GetAsync("PJSIP/agent1", Ct);

        Assert.Equal("+15551230001", number);
        Assert.Equal("T-4711", ticket);
        Assert.Equal("Variable Not Found", unset.Reason);
        Assert.Equal("Error With Function", badFunction.Reason);
        Assert.Equal("22.10.1", info.System!.Version);
        Assert.Equal("pong", ping.Ping);
        Assert.Equal("PJSIP", trunk.Technology);
        Assert.Empty(devices);
        Assert.Contains("PJSIP/agent1", subscribed.EndpointIds);
        Assert.Contains(server.Requests, r => r.RawTarget == "/ari/deviceStates/PJSIP%2Fagent1");
    }

    [Fact]
    public async Task Channels_in_our_app_are_found_again_from_their_dialplan_step()
    {
        await using var server = await RecordedAsteriskServer.StartAsync("ari-app-disconnected-mid-call.json");
        using var http = new HttpClient();
        var client = new AriRestClient(http, Options(server.BaseUrl));

        var ours = await client.Channels.ListInAppAsync(Ct);

        Assert.Equal("1795354618.37", Assert.Single(ours).Id);
        Assert.False(ChannelsResource.IsInApp(ours[0], "citycontac"));
        Assert.False(ChannelsResource.IsInApp(ours[0] with { Dialplan = ours[0].Dialplan with { AppName = "Dial" } }, "citycontact"));
        Assert.True(ChannelsResource.IsInApp(ours[0] with { Dialplan = ours[0].Dialplan with { AppData = "citycontact" } }, "citycontact"));
    }

    [Fact]
    public async Task Holding_bridge_with_music_on_hold_and_playback_control_use_the_recorded_requests()
    {
        await using var server = await RecordedAsteriskServer.StartAsync("ari-holding-bridge-moh.json", "ari-dtmf-barge-in.json", "ari-caller-hangup-during-playback.json");
        using var http = new HttpClient();
        var client = new AriRestClient(http, Options(server.BaseUrl));
        const string caller = "1795354210.11";

        var bridge = await client.Bridges.CreateAsync(BridgeTypes.Holding, null, "cc-queue-1", Ct);
        await client.Bridges.AddChannelAsync(bridge.Id, caller, null, Ct);
        await client.Bridges.StartMohAsync(bridge.Id, "default", Ct);
        var withCaller = await client.Bridges.GetAsync(bridge.Id, Ct);
        var position = await client.Channels.PlayAsync(caller, "sound:queue-thankyou", null, null, Ct);
        await client.Bridges.PlayAsync(bridge.Id, "sound:beep", null, null, Ct);
        await client.Bridges.StopMohAsync(bridge.Id, Ct);
        var beep = await client.Bridges.PlayAsync(bridge.Id, "sound:beep", null, null, Ct);
        await client.Bridges.RemoveChannelAsync(bridge.Id, caller, Ct);
        await client.Bridges.DestroyAsync(bridge.Id, Ct);
        await client.Playbacks.StopAsync("f2cbe9f2-2bb5-4df0-a621-babbdffce602", Ct);
        var ended = await client.Playbacks.GetAsync("ac209dec-fc43-4486-89d1-1cdf8a930088", Ct).IgnoreNotFound();

        Assert.Equal("holding_bridge", bridge.Technology);
        Assert.Equal([caller], withCaller.Channels);
        Assert.Equal("channel:" + caller, position.TargetUri);
        Assert.Equal("bridge:" + bridge.Id, beep.TargetUri);
        Assert.Null(ended);
        Assert.DoesNotContain(server.Requests, r => r.RawTarget.Contains("api_key", StringComparison.Ordinal));
    }
}
