using System.Text;
using CityContact.Telephony.Ami;
using Xunit;

namespace CityContact.Telephony.Tests.Ami;

public sealed class AmiClientTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Plain_login_connects_and_raises_session_started()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions());
        var started = new TaskCompletionSource<AmiSessionStartedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionStarted += (_, e) => started.TrySetResult(e);

        await client.StartAsync(Ct);
        var peer = await server.AcceptAsync(Ct);
        var login = await peer.ReadActionAsync(Ct);
        Assert.Equal(("cc", "cc"), (login["Username"], login["Secret"]));
        await peer.SendAsync($"Response: Success\r\nActionID: {login.ActionId}\r\nMessage: Authentication accepted\r\n\r\n", Ct);

        var session = await started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(session.IsReconnect);
        Assert.Equal("Asterisk Call Manager/11.0.0", session.Banner);
        Assert.Equal(AmiConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Md5_login_sends_the_challenge_key_and_never_the_secret()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions(o => o.UseMd5Challenge = true));
        await client.StartAsync(Ct);

        var peer = await server.AcceptAsync(Ct);
        var challenge = await peer.ReadActionAsync(Ct);
        Assert.Equal(("Challenge", "MD5"), (challenge["Action"], challenge["AuthType"]));
        await peer.SendAsync($"Response: Success\r\nActionID: {challenge.ActionId}\r\nChallenge: 123456789\r\n\r\n", Ct);
        var login = await peer.ReadActionAsync(Ct);
        await peer.SendAsync($"Response: Success\r\nActionID: {login.ActionId}\r\nMessage: Authentication accepted\r\n\r\n", Ct);

        Assert.Null(login["Secret"]);
        Assert.Equal(AmiAuthenticator.Md5Key("123456789", "cc"), login["Key"]);
        Assert.Equal("2b6a0f0c6b9e7a4b8e4a9b5d3c6e1f03".Length, login["Key"]!.Length);
        await client.WaitUntilConnectedAsync(Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task Refused_login_is_retried_on_a_new_connection_and_never_reports_connected()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions());
        await client.StartAsync(Ct);

        var first = await server.AcceptAsync(Ct);
        var login = await first.ReadActionAsync(Ct);
        await first.SendAsync($"Response: Error\r\nActionID: {login.ActionId}\r\nMessage: Authentication failed\r\n\r\n", Ct);
        first.Dispose();

        var second = await server.AcceptAsync(Ct);
        Assert.Equal("Login", (await second.ReadActionAsync(Ct))["Action"]);
        Assert.NotEqual(AmiConnectionState.Connected, client.State);
        Assert.Equal(0, client.Sessions);
    }

    [Fact]
    public async Task Concurrent_actions_get_their_own_answers_even_when_answered_out_of_order()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions());
        await client.StartAsync(Ct);
        var peer = await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        var calls = Enumerable.Range(0, 20)
            .Select(i => client.SendActionAsync(new AmiMessage(("Action", "Getvar"), ("Variable", $"V{i}")), Ct))
            .ToList();
        var actions = new List<AmiMessage>();
        for (var i = 0; i < 20; i++)
        {
            actions.Add(await peer.ReadActionAsync(Ct));
        }
        var answers = new StringBuilder();
        foreach (var action in Enumerable.Reverse(actions))
        {
            answers.Append($"Response: Success\r\nActionID: {action.ActionId}\r\nValue: {action["Variable"]}\r\n\r\n");
        }
        await peer.SendAsync(answers.ToString(), Ct);

        var responses = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"V{i}"), responses.Select(r => r.Frame["Value"]));
        Assert.Equal(20, actions.Select(a => a.ActionId).Distinct().Count());
    }

    [Fact]
    public async Task Event_list_is_collected_into_one_response_and_unrelated_events_still_flow()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions());
        await client.StartAsync(Ct);
        var peer = await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        var call = client.SendActionAsync(AmiActions.PJSIPShowContacts(), Ct);
        var action = await peer.ReadActionAsync(Ct);
        var id = action.ActionId;
        await peer.SendAsync(
            $"Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: A listing of Contacts follows, presented as ContactList events\r\n\r\n"
            + $"Event: ContactList\r\nActionID: {id}\r\nEndpoint: agent1\r\nUri: sip:agent1@127.0.0.1:5081\r\nStatus: NonQualified\r\n\r\n"
            + "Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: PJSIP/agent2\r\nState: NOT_INUSE\r\n\r\n"
            + $"Event: ContactList\r\nActionID: {id}\r\nEndpoint: agent2\r\nUri: sip:agent2@127.0.0.1:5082\r\nStatus: NonQualified\r\n\r\n"
            + $"Event: ContactListComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: 2\r\n\r\n", Ct);

        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(["agent1", "agent2"], response.Events.Select(e => e["Endpoint"]));
        Assert.Equal("2", response.Completion?["ListItems"]);
        var unsolicited = await client.Events.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("DeviceStateChange", unsolicited.EventName);
    }

    [Fact]
    public async Task Pending_actions_fail_with_a_disconnect_error_when_the_connection_drops()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions());
        await client.StartAsync(Ct);
        var peer = await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        var pending = Enumerable.Range(0, 3).Select(_ => client.SendActionAsync(new AmiMessage(("Action", "CoreShowChannels")), Ct)).ToList();
        for (var i = 0; i < 3; i++)
        {
            await peer.ReadActionAsync(Ct);
        }
        peer.Dispose();

        foreach (var call in pending)
        {
            await Assert.ThrowsAsync<AmiDisconnectedException>(() => call.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        }
    }

    [Fact]
    public async Task Dropped_connection_is_re_established_and_signalled_as_a_reconnect()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions());
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionStarted += (_, e) =>
        {
            if (e.IsReconnect)
            {
                reconnected.TrySetResult();
            }
        };
        await client.StartAsync(Ct);
        var first = await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        first.Dispose();
        var second = await server.AcceptLoggedInAsync(Ct);

        await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(2, client.Sessions);
        var ping = client.PingAsync(Ct);
        var action = await second.ReadActionAsync(Ct);
        await second.SendAsync($"Response: Success\r\nActionID: {action.ActionId}\r\nPing: Pong\r\nTimestamp: 1.0\r\n\r\n", Ct);
        await ping.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task Idle_connection_is_pinged_and_a_silent_peer_is_declared_dead_and_replaced()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions(o =>
        {
            o.PingInterval = TimeSpan.FromMilliseconds(200);
            o.PingTimeout = TimeSpan.FromMilliseconds(300);
        }));
        await client.StartAsync(Ct);
        var silent = await server.AcceptLoggedInAsync(Ct);

        var ping = await silent.ReadActionAsync(Ct);
        Assert.Equal("Ping", ping["Action"]);
        // No answer: the client must give up on this socket and open another one.
        var next = await server.AcceptAsync(Ct);
        Assert.Equal("Login", (await next.ReadActionAsync(Ct))["Action"]);
    }

    [Fact]
    public async Task Action_without_answer_times_out_and_a_late_answer_is_ignored()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions());
        await client.StartAsync(Ct);
        var peer = await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        var slow = client.SendActionAsync(new AmiMessage(("Action", "Reload")), TimeSpan.FromMilliseconds(100), Ct);
        var action = await peer.ReadActionAsync(Ct);
        var timeout = await Assert.ThrowsAsync<AmiActionTimeoutException>(() => slow);
        Assert.Equal(action.ActionId, timeout.ActionId);

        await peer.SendAsync($"Response: Success\r\nActionID: {action.ActionId}\r\n\r\n", Ct);
        var ping = client.PingAsync(Ct);
        var next = await peer.ReadActionAsync(Ct);
        await peer.SendAsync($"Response: Success\r\nActionID: {next.ActionId}\r\nPing: Pong\r\n\r\n", Ct);
        await ping.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(AmiConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Fragmented_lf_only_garbage_and_oversized_input_never_stops_the_next_good_event()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions(o => o.MaxFrameBytes = 64 * 1024));
        await client.StartAsync(Ct);
        var peer = await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        await peer.SendByteByByteAsync("Event: VarSet\r\nVariable: A\r\nValue: x:y:z\r\n\r\n", Ct);
        await peer.SendAsync("Event: Newstate\nChannelStateDesc: Up\n\n", Ct);
        await peer.SendAsync(Encoding.ASCII.GetBytes(new string('g', 1024 * 1024) + "\r\n\r\n"), Ct);
        await peer.SendAsync("this line has no key\r\nEvent: Hangup\r\nCause: 16\r\n\r\n", Ct);

        var events = new List<AmiMessage>();
        for (var i = 0; i < 3; i++)
        {
            events.Add(await client.Events.ReadAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct));
        }
        Assert.Equal(["VarSet", "Newstate", "Hangup"], events.Select(e => e.EventName));
        Assert.Equal("x:y:z", events[0]["Value"]);
        Assert.Equal(AmiConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Slow_consumer_keeps_the_buffer_bounded_by_dropping_the_oldest_events()
    {
        await using var server = new FakeAmiServer();
        await using var client = new AmiClient(server.ClientOptions(o => o.EventBufferCapacity = 100));
        await client.StartAsync(Ct);
        var peer = await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        var burst = new StringBuilder();
        for (var i = 0; i < 5000; i++)
        {
            burst.Append($"Event: DeviceStateChange\r\nDevice: PJSIP/a{i}\r\nState: INUSE\r\n\r\n");
        }
        burst.Append("Event: Last\r\n\r\n");
        await peer.SendAsync(burst.ToString(), Ct);
        // The answer to a Ping comes after the burst on the same socket: once it is in, the burst has been read.
        var ping = client.PingAsync(Ct);
        var action = await peer.ReadActionAsync(Ct);
        await peer.SendAsync($"Response: Success\r\nActionID: {action.ActionId}\r\nPing: Pong\r\n\r\n", Ct);
        await ping.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(100, client.Events.Count);
        Assert.Equal(4901, client.DroppedEvents);
        var newest = new List<AmiMessage>();
        while (client.Events.TryRead(out var e))
        {
            newest.Add(e);
        }
        Assert.Equal("PJSIP/a4901", newest[0]["Device"]);
        Assert.Equal("Last", newest[^1].EventName);
    }

    [Fact]
    public async Task Stop_logs_off_and_stops_reconnecting()
    {
        await using var server = new FakeAmiServer();
        var client = new AmiClient(server.ClientOptions());
        await client.StartAsync(Ct);
        var peer = await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        var stop = client.StopAsync(Ct);
        var logoff = await peer.ReadActionAsync(Ct);
        Assert.Equal("Logoff", logoff["Action"]);
        await peer.SendAsync($"Response: Goodbye\r\nActionID: {logoff.ActionId}\r\nMessage: Thanks for all the fish.\r\n\r\n", Ct);
        peer.Dispose();
        await stop.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(AmiConnectionState.Stopped, client.State);
        await client.DisposeAsync();
        await Assert.ThrowsAsync<AmiDisconnectedException>(() => client.PingAsync(Ct));
    }

    [Fact]
    public async Task Stop_after_dispose_and_a_second_dispose_are_harmless()
    {
        await using var server = new FakeAmiServer();
        var client = new AmiClient(server.ClientOptions());
        await client.StartAsync(Ct);
        await server.AcceptLoggedInAsync(Ct);
        await client.WaitUntilConnectedAsync(Ct);

        await client.DisposeAsync();
        await client.StopAsync(Ct);
        await client.DisposeAsync();

        Assert.Equal(AmiConnectionState.Stopped, client.State);
    }
}
