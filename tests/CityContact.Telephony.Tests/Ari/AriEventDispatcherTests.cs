using System.Collections.Concurrent;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CityContact.Telephony.Tests.Ari;

public sealed class AriEventDispatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly ListLogger<AriEventDispatcher> _log = new();

    private static ChannelVarset Event(string channelId, int sequence) => new()
    {
        Type = "ChannelVarset",
        Variable = "SEQ",
        Value = sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Channel = new Channel { Id = channelId },
    };

    private static int SequenceOf(AriMessage message) => int.Parse(((ChannelVarset)message).Value, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Events_of_each_channel_arrive_in_order_while_channels_run_concurrently()
    {
        const int channels = 200;
        const int eventsPerChannel = 50;
        var seen = new ConcurrentDictionary<string, List<int>>();
        var running = 0;
        var maxRunning = 0;
        await using var dispatcher = new AriEventDispatcher(async (message, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            // Uneven handler times make any overtaking within a lane visible.
            if (SequenceOf(message) % 7 == 0)
            {
                await Task.Delay(1, ct);
            }
            else
            {
                await Task.Yield();
            }
            var list = seen.GetOrAdd(AriEventLanes.KeyOf(message), _ => []);
            lock (list)
            {
                list.Add(SequenceOf(message));
            }
            Interlocked.Decrement(ref running);
        }, _log);

        for (var sequence = 0; sequence < eventsPerChannel; sequence++)
        {
            for (var channel = 0; channel < channels; channel++)
            {
                await dispatcher.DispatchAsync(Event($"chan-{channel}", sequence), CancellationToken.None);
            }
        }
        await dispatcher.WhenIdleAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(channels, seen.Count);
        Assert.All(seen.Values, list => Assert.Equal(Enumerable.Range(0, eventsPerChannel), list));
        Assert.True(maxRunning > 1, "handlers of different channels never overlapped");
        Assert.Equal(0, dispatcher.ActiveLanes);
    }

    [Fact]
    public async Task A_blocked_call_does_not_hold_up_other_calls()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var othersDone = new CountdownEvent(30);
        var stuckHandled = new ConcurrentQueue<int>();
        await using var dispatcher = new AriEventDispatcher(async (message, ct) =>
        {
            if (AriEventLanes.KeyOf(message) == "stuck")
            {
                await release.Task;
                stuckHandled.Enqueue(SequenceOf(message));
                return;
            }
            othersDone.Signal();
        }, _log);

        await dispatcher.DispatchAsync(Event("stuck", 0), CancellationToken.None);
        await dispatcher.DispatchAsync(Event("stuck", 1), CancellationToken.None);
        for (var i = 0; i < 30; i++)
        {
            await dispatcher.DispatchAsync(Event($"other-{i % 3}", i), CancellationToken.None);
        }

        Assert.True(othersDone.Wait(Patience), "other calls waited for the stuck one");
        Assert.Empty(stuckHandled);
        release.SetResult();
        await dispatcher.WhenIdleAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal([0, 1], stuckHandled);
    }

    [Fact]
    public async Task A_throwing_handler_is_logged_with_the_channel_and_the_lane_goes_on()
    {
        var handled = new ConcurrentQueue<int>();
        await using var dispatcher = new AriEventDispatcher((message, ct) =>
        {
            if (SequenceOf(message) == 2)
            {
                throw new InvalidOperationException("handler bug");
            }
            handled.Enqueue(SequenceOf(message));
            return ValueTask.CompletedTask;
        }, _log);

        for (var i = 0; i < 5; i++)
        {
            await dispatcher.DispatchAsync(Event("1795354109.1", i), CancellationToken.None);
        }
        await dispatcher.WhenIdleAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal([0, 1, 3, 4], handled);
        var error = Assert.Single(_log.Entries);
        Assert.Contains("1795354109.1", error.Text, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(error.Error);
    }

    [Fact]
    public async Task A_full_lane_makes_the_producer_wait_instead_of_growing()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var dispatcher = new AriEventDispatcher(async (message, ct) =>
        {
            started.TrySetResult();
            await release.Task;
        }, _log, capacity: 4);

        await dispatcher.DispatchAsync(Event("slow", 0), CancellationToken.None);
        await started.Task.WaitAsync(Patience);
        for (var i = 1; i <= 4; i++)
        {
            Assert.True(dispatcher.DispatchAsync(Event("slow", i), CancellationToken.None).AsTask().IsCompletedSuccessfully);
        }
        var fifth = dispatcher.DispatchAsync(Event("slow", 5), CancellationToken.None).AsTask();
        var otherCall = dispatcher.DispatchAsync(Event("fast", 0), CancellationToken.None).AsTask();

        Assert.False(fifth.IsCompleted);
        Assert.True(otherCall.IsCompletedSuccessfully);
        release.SetResult();
        await fifth.WaitAsync(Patience);
        await dispatcher.WhenIdleAsync(CancellationToken.None).WaitAsync(Patience);
    }

    [Fact]
    public void Playback_recording_dial_and_bridge_events_share_the_lane_of_what_they_act_on()
    {
        var channel = new Channel { Id = "c1" };
        Assert.Equal("c1", AriEventLanes.KeyOf(new PlaybackStarted { Playback = new Playback { TargetUri = "channel:c1" } }));
        Assert.Equal("bridge:b1", AriEventLanes.KeyOf(new PlaybackFinished { Playback = new Playback { TargetUri = "bridge:b1" } }));
        Assert.Equal("c1", AriEventLanes.KeyOf(new RecordingFinished { Recording = new LiveRecording { TargetUri = "channel:c1" } }));
        Assert.Equal("c2", AriEventLanes.KeyOf(new Dial { Peer = new Channel { Id = "c2" }, Caller = channel }));
        Assert.Equal("bridge:b1", AriEventLanes.KeyOf(new BridgeDestroyed { Bridge = new Bridge { Id = "b1" } }));
        Assert.Equal("c1", AriEventLanes.KeyOf(new ChannelEnteredBridge { Bridge = new Bridge { Id = "b1" }, Channel = channel }));
        Assert.Equal(AriEventLanes.Global, AriEventLanes.KeyOf(new DeviceStateChanged()));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var previous = Interlocked.CompareExchange(ref target, value, current);
            if (previous == current)
            {
                return;
            }
            current = previous;
        }
    }

    [Fact]
    public async Task Handler_log_lines_carry_the_lane_of_their_event_as_a_scope()
    {
        var provider = new ScopeCapturingProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(provider));
        var handlerLog = factory.CreateLogger("CallFlow");
        await using var dispatcher = new AriEventDispatcher((message, ct) =>
        {
            handlerLog.LogInformation("handled {Sequence}", SequenceOf(message));
            return ValueTask.CompletedTask;
        }, factory.CreateLogger<AriEventDispatcher>());

        await dispatcher.DispatchAsync(Event("1795354109.1", 0), CancellationToken.None);
        await dispatcher.DispatchAsync(Event("1795354109.2", 1), CancellationToken.None);
        await dispatcher.WhenIdleAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Contains("handled 0 [AriLane=1795354109.1]", provider.Lines);
        Assert.Contains("handled 1 [AriLane=1795354109.2]", provider.Lines);
    }

    private sealed class ScopeCapturingProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;

        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(ScopeCapturingProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes?.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopes = new List<string>();
                owner._scopes?.ForEachScope((scope, list) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        list.AddRange(pairs.Select(p => $"{p.Key}={p.Value}"));
                    }
                }, scopes);
                owner.Lines.Enqueue($"{formatter(state, exception)} [{string.Join(",", scopes)}]");
            }
        }
    }
}
