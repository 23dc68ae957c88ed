using System.Collections.Concurrent;
using CityContact.Simulator;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using CityContact.Telephony.Ari.Rest;
using Xunit;

namespace CityContact.Telephony.Tests.Ari;

/// <summary>The whole ARI client against the in-process Asterisk simulator over real sockets.</summary>
public sealed class AriClientSimulatorTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new();
    private readonly ListLoggerFactory _logs = new();
    private AsteriskSimulator _sim = null!;

    public async Task InitializeAsync() =>
        _sim = await AsteriskSimulator.StartAsync(new SimulatorOptions { DefaultMediaLength = TimeSpan.FromMilliseconds(50) });

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sim.DisposeAsync();
    }

    public void Dispose()
    {
        _http.Dispose();
        _stop.Dispose();
        _logs.Dispose();
    }

    private AriClient Client() => new(_http, new AriOptions
    {
        BaseUrl = _sim.AriBaseUrl,
        User = "cc",
        Password = "cc",
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
        PingInterval = TimeSpan.FromSeconds(1),
        PingTimeout = TimeSpan.FromSeconds(2),
    }, _logs);

    private async Task<Task> RunAsync(AriClient client, AriEventDispatcher.Handler handler)
    {
        var run = client.RunAsync(handler, _stop.Token);
        await _sim.WaitUntilAsync(s => s.ConnectedApplications.Contains("citycontact"), _stop.Token).WaitAsync(Patience);
        await Eventually.TrueAsync(() => client.State == AriConnectionState.Connected, Patience);
        return run;
    }

    [Fact]
    public async Task Inbound_call_is_answered_played_to_and_hung_up_and_then_is_not_found()
    {
        var client = Client();
        var events = new ReceivedEvents();
        var run = await RunAsync(client, events.HandleAsync);
        Assert.Equal(AriConnectionState.Connected, client.State);

        var caller = _sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        var start = await events.WaitForAsync<StasisStart>(s => s.Channel.Id == caller.ChannelId, Patience);
        await client.Rest.Channels.AnswerAsync(caller.ChannelId, _stop.Token);
        var playback = await client.Rest.Channels.PlayAsync(caller.ChannelId, "sound:hello-world", null, null, _stop.Token);
        var finished = await events.WaitForAsync<PlaybackFinished>(p => p.Playback.Id == playback.Id, Patience);
        await client.Rest.Channels.HangupAsync(caller.ChannelId, HangupReasons.Normal, _stop.Token);
        await events.WaitForAsync<StasisEnd>(s => s.Channel.Id == caller.ChannelId, Patience);

        Assert.Equal(["inbound", "0256969"], start.Args);
        Assert.Equal("+40256123456", start.Channel.Caller.Number);
        Assert.Equal("done", finished.Playback.State);
        var ofCall = events.All.Where(e => AriEventLanes.KeyOf(e) == caller.ChannelId).Select(e => e.Type).ToList();
        Assert.Equal("StasisStart", ofCall[0]);
        Assert.Equal("StasisEnd", ofCall[^1]);
        Assert.True(ofCall.IndexOf("PlaybackStarted") < ofCall.IndexOf("PlaybackFinished"));
        Assert.True(ofCall.IndexOf("ChannelHangupRequest") < ofCall.IndexOf("StasisEnd"));
        var gone = await Assert.ThrowsAsync<AriNotFoundException>(() => client.Rest.Channels.AnswerAsync(caller.ChannelId, _stop.Token));
        Assert.Equal("Channel not found", gone.AsteriskMessage);
        Assert.False(await client.Rest.Channels.HangupAsync(caller.ChannelId, HangupReasons.Normal, _stop.Token).IgnoreNotFound());
        Assert.All(_sim.Requests, r => Assert.DoesNotContain("api_key", r.ToString(), StringComparison.Ordinal));

        await _stop.CancelAsync();
        await run.WaitAsync(Patience);
        Assert.Equal(AriConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task Dropped_websocket_mid_call_reconnects_raises_Reconnected_and_the_call_is_adopted_again()
    {
        var client = Client();
        var events = new ReceivedEvents();
        var adopted = new TaskCompletionSource<IReadOnlyList<Channel>>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Events.Reconnected += async ct => adopted.TrySetResult(await client.ListOurChannelsAsync(ct));
        var states = new ConcurrentQueue<AriConnectionState>();
        client.Events.StateChanged += (_, s) => states.Enqueue(s);
        var run = await RunAsync(client, events.HandleAsync);
        var caller = _sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        await events.WaitForAsync<StasisStart>(s => s.Channel.Id == caller.ChannelId, Patience);
        await client.Rest.Channels.AnswerAsync(caller.ChannelId, _stop.Token);

        _sim.DropWebSockets();
        var ours = await adopted.Task.WaitAsync(Patience);
        await caller.PressAsync("5", _stop.Token);
        var digit = await events.WaitForAsync<ChannelDtmfReceived>(d => d.Channel.Id == caller.ChannelId, Patience);
        await caller.HangUpAsync(_stop.Token);
        await events.WaitForAsync<StasisEnd>(s => s.Channel.Id == caller.ChannelId, Patience);

        Assert.Equal(caller.ChannelId, Assert.Single(ours).Id);
        Assert.Equal("5", digit.Digit);
        Assert.Equal(2, client.Events.Connections);
        Assert.Single(events.All.OfType<StasisStart>());
        Assert.Equal(
            [AriConnectionState.Connecting, AriConnectionState.Connected, AriConnectionState.Disconnected, AriConnectionState.Connecting, AriConnectionState.Connected],
            states.Take(5));
        await _stop.CancelAsync();
        await run.WaitAsync(Patience);
    }

    [Fact]
    public async Task Many_simultaneous_calls_each_see_their_digits_in_order_while_handled_concurrently()
    {
        const int calls = 20;
        const string digits = "123456789*#";
        var client = Client();
        var seen = new ConcurrentDictionary<string, ConcurrentQueue<string>>();
        var started = new ConcurrentQueue<string>();
        var running = 0;
        var overlapped = 0;
        var run = await RunAsync(client, async (message, ct) =>
        {
            if (Interlocked.Increment(ref running) > 1)
            {
                Interlocked.Exchange(ref overlapped, 1);
            }
            try
            {
                switch (message)
                {
                    case StasisStart s:
                        started.Enqueue(s.Channel.Id);
                        break;
                    case ChannelDtmfReceived d:
                        // Uneven handling times: a digit that overtook another would show up out of order.
                        await Task.Delay(Random.Shared.Next(0, 3), ct);
                        seen.GetOrAdd(d.Channel.Id, _ => new()).Enqueue(d.Digit);
                        break;
                }
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        });

        var callers = Enumerable.Range(0, calls).Select(i => _sim.Trunk.Dial(from: $"+4025600{i:D4}", to: "0256969")).ToList();
        await Eventually.TrueAsync(() => started.Count == calls, Patience);
        foreach (var caller in callers)
        {
            await client.Rest.Channels.AnswerAsync(caller.ChannelId, _stop.Token);
        }
        foreach (var caller in callers)
        {
            await caller.PressAsync(digits, _stop.Token);
        }
        await Eventually.TrueAsync(() => callers.All(c => seen.TryGetValue(c.ChannelId, out var q) && q.Count == digits.Length), Patience);

        Assert.All(callers, c => Assert.Equal(digits, string.Concat(seen[c.ChannelId])));
        Assert.Equal(1, Volatile.Read(ref overlapped));
        await _stop.CancelAsync();
        await run.WaitAsync(Patience);
    }

    [Fact]
    public async Task Agent_call_is_originated_bridged_with_the_caller_and_its_Dial_events_follow_the_agent_leg()
    {
        var client = Client();
        var events = new ReceivedEvents();
        var run = await RunAsync(client, events.HandleAsync);
        var phone = _sim.Phone("agent1");
        await client.Rest.Applications.SubscribeAsync(["endpoint:PJSIP/agent1"], _stop.Token);
        await phone.RegisterAsync(_stop.Token);
        phone.AnswerAfter(TimeSpan.FromMilliseconds(50));
        await events.WaitForAsync<EndpointStateChange>(e => e.Endpoint.Resource == "agent1" && e.Endpoint.State == "online", Patience);
        var caller = _sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        await events.WaitForAsync<StasisStart>(s => s.Channel.Id == caller.ChannelId, Patience);
        await client.Rest.Channels.AnswerAsync(caller.ChannelId, _stop.Token);

        var agent = await client.Rest.Channels.OriginateAsync(new OriginateRequest
        {
            Endpoint = "PJSIP/agent1",
            AppArgs = "agent",
            CallerId = "\"Customer\" <+40256123456>",
            Timeout = TimeSpan.FromSeconds(15),
            Originator = caller.ChannelId,
        }, _stop.Token);
        var agentStart = await events.WaitForAsync<StasisStart>(s => s.Channel.Id == agent.Id, Patience);
        var bridge = await client.Rest.Bridges.CreateAsync(BridgeTypes.Mixing, null, "cc-call-1", _stop.Token);
        await client.Rest.Bridges.AddChannelsAsync(bridge.Id, [caller.ChannelId, agent.Id], null, _stop.Token);
        await events.WaitForAsync<ChannelEnteredBridge>(e => e.Channel?.Id == agent.Id, Patience);
        await caller.HangUpAsync(_stop.Token);
        await client.Rest.Channels.HangupAsync(agent.Id, HangupReasons.Normal, _stop.Token);
        await events.WaitForAsync<ChannelDestroyed>(d => d.Channel.Id == agent.Id, Patience);
        await client.Rest.Bridges.DestroyAsync(bridge.Id, _stop.Token).IgnoreNotFound();

        Assert.Equal(["agent"], agentStart.Args);
        var agentLane = events.All.Where(e => AriEventLanes.KeyOf(e) == agent.Id).ToList();
        var dials = agentLane.OfType<Dial>().Select(d => d.Dialstatus).ToList();
        Assert.Contains("ANSWER", dials);
        Assert.True(agentLane.FindIndex(e => e is Dial { Dialstatus: "ANSWER" }) < agentLane.FindIndex(e => e is StasisStart));
        Assert.IsType<ChannelDestroyed>(agentLane[^1]);
        await _stop.CancelAsync();
        await run.WaitAsync(Patience);
    }

    [Fact]
    public async Task Simulator_errors_map_to_typed_exceptions_including_the_error_key_of_allocation_failures()
    {
        var client = Client();

        var unregistered = await Assert.ThrowsAsync<AriServerErrorException>(() =>
            client.Rest.Channels.OriginateAsync(new OriginateRequest { Endpoint = "PJSIP/agent2", AppArgs = "agent" }, _stop.Token));
        await client.Rest.Bridges.CreateAsync(BridgeTypes.Holding, "cc-queue-taxes", "taxes", _stop.Token);
        var taken = await Assert.ThrowsAsync<AriConflictException>(() =>
            client.Rest.Bridges.CreateAsync(BridgeTypes.Holding, "cc-queue-taxes", "taxes", _stop.Token));
        var noPlayback = await Assert.ThrowsAsync<AriNotFoundException>(() => client.Rest.Playbacks.StopAsync("no-such-playback", _stop.Token));
        var noDevice = await Assert.ThrowsAsync<AriNotFoundException>(() => client.Rest.Endpoints.GetAsync("PJSIP", "nobody", _stop.Token));

        Assert.Equal("Allocation failed", unregistered.AsteriskMessage);
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, unregistered.StatusCode);
        Assert.Equal("Bridge with id 'cc-queue-taxes' already exists", taken.AsteriskMessage);
        Assert.Equal("Playback not found", noPlayback.AsteriskMessage);
        Assert.Equal("Endpoint not found", noDevice.AsteriskMessage);
    }

    [Fact]
    public async Task Voice_message_is_recorded_stopped_downloaded_copied_and_deleted()
    {
        var client = Client();
        var events = new ReceivedEvents();
        var run = await RunAsync(client, events.HandleAsync);
        var caller = _sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        await events.WaitForAsync<StasisStart>(s => s.Channel.Id == caller.ChannelId, Patience);
        await client.Rest.Channels.AnswerAsync(caller.ChannelId, _stop.Token);

        var name = "cc-test-" + Guid.NewGuid().ToString("N");
        await client.Rest.Channels.RecordAsync(caller.ChannelId, new RecordRequest { Name = name, MaxDuration = TimeSpan.FromSeconds(10), IfExists = "overwrite", Beep = false }, _stop.Token);
        await events.WaitForAsync<RecordingStarted>(r => r.Recording.Name == name, Patience);
        caller.Speak(TimeSpan.FromMilliseconds(200));
        var live = await client.Rest.Recordings.GetLiveAsync(name, _stop.Token);
        await client.Rest.Recordings.StopLiveAsync(name, _stop.Token);
        var finished = await events.WaitForAsync<RecordingFinished>(r => r.Recording.Name == name, Patience);
        var bytes = await client.Rest.Recordings.GetStoredFileBytesAsync(name, _stop.Token);
        var copy = await client.Rest.Recordings.CopyStoredAsync(name, name + "-copy", _stop.Token);
        await client.Rest.Recordings.DeleteStoredAsync(name, _stop.Token);
        await client.Rest.Recordings.DeleteStoredAsync(copy.Name, _stop.Token);

        Assert.Equal("recording", live.State);
        Assert.Equal("channel:" + caller.ChannelId, finished.Recording.TargetUri);
        Assert.Equal(caller.ChannelId, AriEventLanes.KeyOf(finished));
        Assert.Equal("RIFF"u8.ToArray(), bytes[..4]);
        Assert.Null(await client.Rest.Recordings.GetStoredAsync(name, _stop.Token).IgnoreNotFound());
        await _stop.CancelAsync();
        await run.WaitAsync(Patience);
    }
}
