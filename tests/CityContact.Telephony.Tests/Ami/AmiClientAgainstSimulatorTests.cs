using CityContact.Simulator;
using CityContact.Telephony.Ami;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CityContact.Telephony.Tests.Ami;

/// <summary>The real <see cref="AmiClient"/> against the in-process simulator's AMI server, over a real TCP socket.</summary>
public sealed class AmiClientAgainstSimulatorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly string[] Endpoints = ["agent1", "agent2", "trunk"];

    private static Task<AsteriskSimulator> StartSimulatorAsync(TimeSpan? mediaLength = null) => AsteriskSimulator.StartAsync(new SimulatorOptions
    {
        AmiFailedLoginDelay = TimeSpan.FromMilliseconds(20),
        DefaultMediaLength = mediaLength ?? TimeSpan.FromMilliseconds(50),
        NativeExtensions = new Dictionary<string, string> { ["600"] = "native-demo" },
    });

    private static AmiOptions ClientOptions(AsteriskSimulator simulator, string secret = "cc") => new()
    {
        Port = simulator.AmiPort,
        User = "cc",
        Secret = secret,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
    };

    private static async Task<AmiClient> ConnectAsync(AsteriskSimulator simulator)
    {
        var client = new AmiClient(ClientOptions(simulator));
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None).WaitAsync(Timeout);
        return client;
    }

    /// <summary>The next unsolicited event matching <paramref name="match"/> (earlier ones are skipped).</summary>
    private static async Task<AmiMessage> NextEventAsync(AmiClient client, Func<AmiMessage, bool> match)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var message in client.Events.ReadAllAsync(cts.Token))
        {
            if (match(message))
            {
                return message;
            }
        }
        throw new InvalidOperationException("the event stream ended");
    }

    private static async Task<T> NextTypedAsync<T>(AmiClient client, Func<T, bool> match) where T : class
    {
        var message = await NextEventAsync(client, m => AmiTypedEvents.From(m) is T typed && match(typed));
        return (T)AmiTypedEvents.From(message)!;
    }

    [Fact]
    public async Task Client_logs_in_and_pings_the_simulator()
    {
        await using var simulator = await StartSimulatorAsync();
        await using var client = new AmiClient(ClientOptions(simulator));
        var started = new TaskCompletionSource<AmiSessionStartedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionStarted += (_, e) => started.TrySetResult(e);

        await client.StartAsync(CancellationToken.None);
        var session = await started.Task.WaitAsync(Timeout);
        await client.PingAsync(CancellationToken.None);

        Assert.False(session.IsReconnect);
        Assert.Equal("Asterisk Call Manager/11.0.0", session.Banner);
        Assert.Equal(AmiConnectionState.Connected, client.State);
        var booted = await NextTypedAsync<AmiFullyBootedEvent>(client, _ => true);
        Assert.Equal("Fully Booted", booted.Status);
    }

    [Fact]
    public async Task Wrong_secret_is_refused_and_retried_without_ever_connecting()
    {
        await using var simulator = await StartSimulatorAsync();
        using var logger = new RecordingLogger();
        await using var client = new AmiClient(ClientOptions(simulator, secret: "wrong"), logger);

        await client.StartAsync(CancellationToken.None);
        await logger.WaitForAsync(lines => lines.Count(l => l.Contains("Authentication failed", StringComparison.Ordinal)) >= 2);

        Assert.Equal(0, client.Sessions);
        Assert.NotEqual(AmiConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task Event_lists_show_the_registered_phone_its_contact_and_the_live_channel()
    {
        await using var simulator = await StartSimulatorAsync();
        await simulator.Phone("agent1").RegisterAsync();
        var caller = simulator.Trunk.Dial("+40256123456", "600");
        await simulator.WaitUntilAsync(s => s.Channels.Any(c => c.State == "Up"));
        await using var client = await ConnectAsync(simulator);

        var endpoints = await client.ShowEndpointsAsync(CancellationToken.None);
        var contacts = await client.ShowContactsAsync(CancellationToken.None);
        var channels = await client.CoreShowChannelsAsync(CancellationToken.None);

        Assert.Equal(Endpoints, endpoints.Select(e => e.Name));
        Assert.True(endpoints.Single(e => e.Name == "agent1").HasContact);
        Assert.Equal("Unavailable", endpoints.Single(e => e.Name == "agent2").DeviceState);
        var contact = Assert.Single(contacts, c => c.Endpoint == "agent1");
        Assert.Equal("sip:agent1@127.0.0.1:5081", contact.Uri);
        Assert.DoesNotContain(contacts, c => c.Endpoint == "agent2");
        var channel = Assert.Single(channels);
        Assert.Equal(caller.ChannelId, channel.UniqueId);
        Assert.StartsWith("PJSIP/trunk-", channel.Channel, StringComparison.Ordinal);
        Assert.Equal("+40256123456", channel.CallerIdNum);
        Assert.Equal("Up", channel.State);
    }

    [Fact]
    public async Task Phone_registering_and_unregistering_raises_typed_contact_and_device_state_events()
    {
        await using var simulator = await StartSimulatorAsync();
        await using var client = await ConnectAsync(simulator);
        var phone = simulator.Phone("agent1");

        await phone.RegisterAsync();
        var registered = await NextTypedAsync<AmiContactStatusEvent>(client, e => e.EndpointName == "agent1");
        await phone.UnregisterAsync();
        var gone = await NextTypedAsync<AmiDeviceStateChangeEvent>(client, e => e.Device == "PJSIP/agent1");
        var removed = await NextTypedAsync<AmiContactStatusEvent>(client, e => e.EndpointName == "agent1");

        Assert.True(registered.IsRegistered);
        Assert.Equal("sip:agent1@127.0.0.1:5081", registered.Uri);
        Assert.Equal("UNAVAILABLE", gone.State);
        Assert.False(removed.IsRegistered);
        Assert.Equal("Removed", removed.Status);
    }

    [Fact]
    public async Task Trunk_call_is_seen_from_newchannel_to_hangup()
    {
        await using var simulator = await StartSimulatorAsync();
        await using var client = await ConnectAsync(simulator);

        var caller = simulator.Trunk.Dial("+40256123456", "600");
        var created = await NextEventAsync(client, m => m.EventName == "Newchannel");
        await caller.HangUpAsync();
        var hangup = await NextEventAsync(client, m => m.EventName == "Hangup");

        Assert.Equal(caller.ChannelId, created["Uniqueid"]);
        Assert.Equal("+40256123456", created["CallerIDNum"]);
        Assert.Equal("600", created["Exten"]);
        Assert.Equal(caller.ChannelId, hangup["Uniqueid"]);
        Assert.Equal("Normal Clearing", hangup["Cause-txt"]);
    }

    [Fact]
    public async Task Concurrent_actions_each_get_their_own_answer()
    {
        await using var simulator = await StartSimulatorAsync();
        await simulator.Phone("agent2").RegisterAsync();
        await using var client = await ConnectAsync(simulator);

        var pings = Enumerable.Range(0, 10).Select(_ => client.SendActionAsync(AmiActions.Ping(), CancellationToken.None)).ToList();
        var details = Endpoints.Select(name => (name, task: client.SendActionAsync(AmiActions.PJSIPShowEndpoint(name), CancellationToken.None))).ToList();
        var lists = Enumerable.Range(0, 5).Select(_ => client.ShowEndpointsAsync(CancellationToken.None)).ToList();

        Assert.All(await Task.WhenAll(pings), r => Assert.Equal("Pong", r.Frame["Ping"]));
        foreach (var (name, task) in details)
        {
            var response = await task;
            Assert.Equal("Complete", response.Completion?["EventList"]);
            Assert.Equal(name, response.Events.First(e => e.EventName == "EndpointDetail")["ObjectName"]);
        }
        Assert.All(await Task.WhenAll(lists), list => Assert.Equal(3, list.Count));
    }

    [Fact]
    public async Task Client_reconnects_after_the_simulator_drops_the_session()
    {
        await using var simulator = await StartSimulatorAsync();
        await using var client = await ConnectAsync(simulator);
        var reconnected = new TaskCompletionSource<AmiSessionStartedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionStarted += (_, e) => reconnected.TrySetResult(e);

        simulator.Ami!.DropConnections();
        var session = await reconnected.Task.WaitAsync(Timeout);
        await client.PingAsync(CancellationToken.None);

        Assert.True(session.IsReconnect);
        Assert.Equal(2, client.Sessions);
    }

    [Fact]
    public async Task Originate_plays_to_the_answering_phone_and_reports_success()
    {
        await using var simulator = await StartSimulatorAsync();
        var phone = simulator.Phone("agent1");
        await phone.RegisterAsync();
        phone.AnswerAfter(TimeSpan.FromMilliseconds(20));
        await using var client = await ConnectAsync(simulator);

        var response = await client.SendActionAsync(new AmiMessage(("Action", "Originate"), ("ActionID", "orig-7"), ("Channel", "PJSIP/agent1"),
            ("Application", "Playback"), ("Data", "hello-world"), ("CallerID", "\"Customer\" <+15550001>"), ("Async", "true")), CancellationToken.None);
        var originated = await NextEventAsync(client, m => m.EventName == "OriginateResponse");
        var played = await NextEventAsync(client, m => m.EventName == "VarSet" && m["Variable"] == "PLAYBACKSTATUS");
        var hangup = await NextEventAsync(client, m => m.EventName == "Hangup");

        Assert.Equal("Originate successfully queued", response.Message);
        Assert.Equal(("orig-7", "Success", "4"), (originated.ActionId, originated["Response"], originated["Reason"]));
        Assert.Equal(("Playback", "hello-world", "+15550001"), (originated["Application"], originated["Data"], originated["CallerIDNum"]));
        Assert.Equal("SUCCESS", played["Value"]);
        Assert.Equal((originated["Uniqueid"], "0"), (hangup["Uniqueid"], hangup["Cause"]));
    }

    [Fact]
    public async Task Originate_to_an_unregistered_phone_is_queued_then_fails_with_reason_0()
    {
        await using var simulator = await StartSimulatorAsync();
        await using var client = await ConnectAsync(simulator);

        var response = await client.SendActionAsync(new AmiMessage(("Action", "Originate"), ("ActionID", "orig-8"), ("Channel", "PJSIP/agent2"),
            ("Application", "Playback"), ("Data", "hello-world"), ("Async", "yes")), CancellationToken.None);
        var failed = await NextEventAsync(client, m => m.EventName == "OriginateResponse");

        Assert.Equal("Originate successfully queued", response.Message);
        Assert.Equal(("orig-8", "Failure", "0"), (failed.ActionId, failed["Response"], failed["Reason"]));
        Assert.Equal(("PJSIP/agent2", "<null>", "<unknown>"), (failed["Channel"], failed["Uniqueid"], failed["CallerIDNum"]));
        Assert.Empty(simulator.Channels);
    }

    [Fact]
    public async Task Synchronous_originate_answers_failed_when_the_phone_does_not_answer_in_time()
    {
        await using var simulator = await StartSimulatorAsync();
        var phone = simulator.Phone("agent1");
        await phone.RegisterAsync();
        phone.DoNotAnswer();
        await using var client = await ConnectAsync(simulator);

        var response = await client.SendActionAsync(new AmiMessage(("Action", "Originate"), ("Channel", "PJSIP/agent1"),
            ("Application", "Playback"), ("Data", "hello-world"), ("Timeout", "100")), CancellationToken.None);
        var hangup = await NextEventAsync(client, m => m.EventName == "Hangup");

        Assert.False(response.IsSuccess);
        Assert.Equal("Originate failed", response.Message);
        Assert.Equal("19", hangup["Cause"]);
    }

    [Fact]
    public async Task Originate_declined_while_ringing_reports_failure_reason_1()
    {
        await using var simulator = await StartSimulatorAsync();
        var phone = simulator.Phone("agent1");
        await phone.RegisterAsync();
        phone.DoNotAnswer();
        await using var client = await ConnectAsync(simulator);

        await client.SendActionAsync(new AmiMessage(("Action", "Originate"), ("ActionID", "orig-9"), ("Channel", "PJSIP/agent1"),
            ("Application", "Playback"), ("Data", "hello-world"), ("Async", "true")), CancellationToken.None);
        await phone.WaitForRingAsync();
        await phone.HangUpAsync();
        var failed = await NextEventAsync(client, m => m.EventName == "OriginateResponse");
        var hangup = await NextEventAsync(client, m => m.EventName == "Hangup");

        Assert.Equal(("orig-9", "Failure", "1"), (failed.ActionId, failed["Response"], failed["Reason"]));
        Assert.Equal((failed["Uniqueid"], "17"), (hangup["Uniqueid"], hangup["Cause"]));
    }

    [Fact]
    public async Task Originate_to_a_context_is_not_simulated_and_answers_an_error()
    {
        await using var simulator = await StartSimulatorAsync();
        await using var client = await ConnectAsync(simulator);

        var response = await client.SendActionAsync(new AmiMessage(("Action", "Originate"), ("Channel", "PJSIP/agent1"),
            ("Context", "agents"), ("Exten", "100"), ("Priority", "1")), CancellationToken.None);

        Assert.Equal(("Error", "Originate failed"), (response.Frame.ResponseStatus, response.Message));
    }

    /// <summary>Keeps the client's log lines so a test can wait for a logged outcome instead of sleeping.</summary>
    private sealed class RecordingLogger : ILogger<AmiClient>, IDisposable
    {
        private readonly List<string> _lines = [];
        private readonly SemaphoreSlim _logged = new(0);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
            _logged.Release();
        }

        public void Dispose() => _logged.Dispose();

        public async Task WaitForAsync(Func<IReadOnlyList<string>, bool> condition)
        {
            using var cts = new CancellationTokenSource(Timeout);
            while (true)
            {
                lock (_lines)
                {
                    if (condition(_lines.ToList()))
                    {
                        return;
                    }
                }
                await _logged.WaitAsync(cts.Token);
            }
        }
    }
}
