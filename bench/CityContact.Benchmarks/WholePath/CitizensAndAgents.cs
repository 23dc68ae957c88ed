using System.Collections.Concurrent;
using System.Threading.Channels;
using CityContact.Simulator;
using CityContact.Simulator.Changes;
using CityContact.Simulator.Scripting;
using AriEvent = CityContact.Telephony.Ari.Models.AriEvent;
using PlaybackFinished = CityContact.Telephony.Ari.Models.PlaybackFinished;

namespace CityContact.Benchmarks.WholePath;

/// <summary>
/// The SIP side of the whole path, driven by the simulator's own notifications (O(1) per change, no wait condition per
/// call, which would cost O(calls) per change at 5,000 calls): a citizen presses 1 when the menu prompt has finished
/// and hangs up <see cref="Talk"/> after being bridged with an agent; agents' phones answer by themselves. Counts what
/// the scenario must account for: citizens parked in the queue's holding bridge, bridged with an agent, gone; and the
/// most channels any one deskphone had at once (more than one is an agent given two calls).
/// </summary>
internal sealed class CitizensAndAgents : IAsyncDisposable
{
    private readonly Channel<Func<Task>> _actions = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, SimulatedCaller> _callers;
    private readonly TaskCompletionSource _dialled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly IDisposable _changes;
    private readonly IDisposable _events;
    private readonly Task _worker;

    // Touched only by the observers, which the simulator calls one at a time under its lock.
    private readonly Dictionary<string, int> _liveByPhone = new(StringComparer.Ordinal);
    private readonly HashSet<string> _parked;
    private readonly HashSet<string> _bridged;
    private int _parkedCount, _bridgedCount, _endedCount, _mostOnOnePhone;

    /// <param name="expectedCalls">Sizes the bookkeeping up front, so that it does not grow while memory is measured.</param>
    public CitizensAndAgents(AsteriskSimulator sim, string trunkEndpoint, TimeSpan talk, int expectedCalls, Action<AriEvent> alsoObserve)
    {
        _callers = new ConcurrentDictionary<string, SimulatedCaller>(Environment.ProcessorCount, expectedCalls, StringComparer.Ordinal);
        _parked = new HashSet<string>(expectedCalls, StringComparer.Ordinal);
        _bridged = new HashSet<string>(expectedCalls, StringComparer.Ordinal);
        Talk = talk;
        TrunkEndpoint = trunkEndpoint;
        _changes = sim.SubscribeStateChanges(OnChange);
        _events = sim.SubscribeSentEvents(sent =>
        {
            alsoObserve(sent);
            if (sent is PlaybackFinished { Playback: { } playback } && playback.MediaUri.EndsWith("/main-menu", StringComparison.Ordinal)
                && playback.TargetUri.StartsWith("channel:", StringComparison.Ordinal))
            {
                var channel = playback.TargetUri["channel:".Length..];
                _actions.Writer.TryWrite(async () => await (await CallerAsync(channel)).PressAsync("1", _stop.Token));
            }
        });
        _worker = Task.Run(RunAsync);
    }

    public TimeSpan Talk { get; }

    public string TrunkEndpoint { get; }

    public int Parked => Volatile.Read(ref _parkedCount);

    public int Bridged => Volatile.Read(ref _bridgedCount);

    public int Ended => Volatile.Read(ref _endedCount);

    public int MostCallsOnOnePhone => Volatile.Read(ref _mostOnOnePhone);

    /// <summary>A citizen's call of the run (the scenario counts only these).</summary>
    public void Dialled(SimulatedCaller caller) => _callers[caller.ChannelId] = caller;

    /// <summary>Every caller of the run has been dialled: actions waiting for one not yet known can go on.</summary>
    public void AllDialled() => _dialled.TrySetResult();

    private async Task<SimulatedCaller> CallerAsync(string channel)
    {
        if (_callers.TryGetValue(channel, out var caller))
        {
            return caller;
        }
        await _dialled.Task;
        return _callers[channel];
    }

    private void OnChange(StateChange change)
    {
        switch (change)
        {
            case ChannelCreated { Channel: var channel } when channel.Endpoint != TrunkEndpoint:
                var live = _liveByPhone[channel.Endpoint] = _liveByPhone.GetValueOrDefault(channel.Endpoint) + 1;
                _mostOnOnePhone = Math.Max(_mostOnOnePhone, live);
                break;
            case ChannelDestroyed { Channel: var channel } when channel.Endpoint != TrunkEndpoint:
                _liveByPhone[channel.Endpoint]--;
                break;
            case ChannelDestroyed { Channel: var channel } when _callers.ContainsKey(channel.UniqueId):
                if (_parked.Remove(channel.UniqueId))
                {
                    _parkedCount--;
                }
                Interlocked.Increment(ref _endedCount);
                break;
            case BridgeEntered { Bridge.Type: "holding", Channel: var channel } when channel.Endpoint == TrunkEndpoint:
                if (_parked.Add(channel.UniqueId))
                {
                    _parkedCount++;
                }
                break;
            case BridgeLeft { Bridge.Type: "holding", Channel: var channel }:
                if (_parked.Remove(channel.UniqueId))
                {
                    _parkedCount--;
                }
                break;
            case BridgeEntered { Bridge: { Type: "mixing", ChannelIds.Count: 2 } bridge }:
                var citizen = bridge.ChannelIds.FirstOrDefault(_callers.ContainsKey);
                if (citizen is not null && _bridged.Add(citizen))
                {
                    _bridgedCount++;
                    _actions.Writer.TryWrite(async () =>
                    {
                        // The conversation runs on its own: the worker goes on with other callers meanwhile.
                        _ = HangUpAfterTalkAsync(await CallerAsync(citizen));
                    });
                }
                break;
        }
    }

    private async Task HangUpAfterTalkAsync(SimulatedCaller caller)
    {
        try
        {
            await Task.Delay(Talk, _stop.Token);
            await caller.HangUpAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            // The scenario is over.
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var action in _actions.Reader.ReadAllAsync(_stop.Token))
            {
                await action();
            }
        }
        catch (OperationCanceledException)
        {
            // The scenario is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _events.Dispose();
        _changes.Dispose();
        _dialled.TrySetResult();
        await _stop.CancelAsync();
        _actions.Writer.TryComplete();
        await _worker;
        _stop.Dispose();
    }
}
