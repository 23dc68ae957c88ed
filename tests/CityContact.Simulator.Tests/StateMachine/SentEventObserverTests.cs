using System.Collections.Concurrent;
using System.Globalization;
using CityContact.Telephony.Ari.Models;
using Xunit;

namespace CityContact.Simulator.Tests.StateMachine;

/// <summary>The opt-in hook benchmarks use to time the app's reactions: every event as it is sent, against the request log.</summary>
public sealed class SentEventObserverTests
{
    [Fact]
    public async Task Observed_events_are_the_ones_the_app_receives_and_a_reaction_is_stamped_after_its_cause()
    {
        await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions());
        await using var ari = await RawAriClient.ConnectAsync(sim);
        var observed = new ConcurrentQueue<AriEvent>();
        var subscription = sim.SubscribeSentEvents(observed.Enqueue);

        var caller = sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        var stasisStart = await ari.NextAsync("StasisStart");
        Assert.Equal(204, (await ari.PostAsync($"channels/{caller.ChannelId}/answer")).Status);
        await ari.NextAsync("ChannelStateChange");

        Assert.Equal(["StasisStart", "ChannelStateChange"], observed.Select(e => e.Type));
        var observedStart = Assert.IsType<StasisStart>(observed.First());
        Assert.Equal(caller.ChannelId, observedStart.Channel.Id);
        Assert.Equal(DateTimeOffset.Parse(stasisStart.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture),
            observedStart.Timestamp, TimeSpan.FromMilliseconds(1));
        var answer = sim.Requests.Single(r => r.Path == $"/ari/channels/{caller.ChannelId}/answer");
        Assert.True(answer.Timestamp >= observedStart.Timestamp, $"answer at {answer.Timestamp:O}, StasisStart at {observedStart.Timestamp:O}");

        subscription.Dispose();
        await caller.HangUpAsync();
        await ari.NextAsync("ChannelVarset");
        Assert.Equal(2, observed.Count);
    }
}
