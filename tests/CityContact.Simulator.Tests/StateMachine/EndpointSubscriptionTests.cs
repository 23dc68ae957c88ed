using Xunit;

namespace CityContact.Simulator.Tests.StateMachine;

/// <summary>
/// How Asterisk delivers a channel's events to apps subscribed to its endpoint (INDEX.md, "Lab 2"): once through the
/// endpoint, once more through the channel for the app that owns it. The transcript replay checks one call end to end;
/// these check the cases it does not show: another app, unsubscribing, and a reconnect.
/// </summary>
public sealed class EndpointSubscriptionTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;
    private AsteriskSimulator _sim = null!;
    private RawAriClient _ari = null!;

    public async Task InitializeAsync()
    {
        // The shipped extensions.conf: Stasis() is the trunk dialplan's first step (one ChannelDialplan).
        _sim = await AsteriskSimulator.StartAsync(new SimulatorOptions { DefaultMediaLength = TimeSpan.FromMilliseconds(100), TrunkNoOpData = null });
        _ari = await RawAriClient.ConnectAsync(_sim);
    }

    public async Task DisposeAsync()
    {
        await _ari.DisposeAsync();
        await _sim.DisposeAsync();
    }

    [Fact]
    public async Task An_app_subscribed_only_to_the_trunk_sees_each_event_of_another_apps_call_once()
    {
        await using var monitor = await RawAriClient.ConnectAsync(_sim, "monitor");
        Assert.Equal(200, (await monitor.PostAsync("applications/monitor/subscription?eventSource=endpoint:PJSIP/trunk")).Status);

        var caller = _sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        await _ari.NextAsync("StasisStart");
        Assert.Equal(204, (await _ari.PostAsync($"channels/{caller.ChannelId}/answer")).Status);
        await caller.PressAsync("1", None);
        await caller.PressAsync("2", None);

        Assert.Equal(
            ["EndpointStateChange", "ChannelCreated", "ChannelVarset", "ChannelDialplan", "ChannelVarset", "ChannelStateChange", "ChannelDtmfReceived", "ChannelDtmfReceived"],
            await monitor.NextTypesAsync(8));
        Assert.Equal(["ChannelStateChange", "ChannelDtmfReceived", "ChannelDtmfReceived"], await _ari.NextTypesAsync(3));
    }

    [Fact]
    public async Task The_owning_app_gets_its_channels_events_twice_until_it_unsubscribes_from_the_endpoint()
    {
        Assert.Equal(200, (await _ari.PostAsync("applications/citycontact/subscription?eventSource=endpoint:PJSIP")).Status);
        var caller = _sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        Assert.Equal(["EndpointStateChange", "ChannelCreated", "ChannelVarset", "ChannelDialplan", "ChannelVarset", "StasisStart"], await _ari.NextTypesAsync(6));

        await caller.PressAsync("1", None);
        var first = await _ari.NextAsync("ChannelDtmfReceived");
        var second = await _ari.NextAsync("ChannelDtmfReceived");
        Assert.Equal(first.GetRawText(), second.GetRawText());

        Assert.Equal(200, (await _ari.SendAsync(HttpMethod.Delete, "applications/citycontact/subscription?eventSource=endpoint:PJSIP")).Status);
        await caller.PressAsync("2", None);
        await caller.PressAsync("3", None);
        Assert.Equal("2", (await _ari.NextAsync("ChannelDtmfReceived")).GetProperty("digit").GetString());
        Assert.Equal("3", (await _ari.NextAsync("ChannelDtmfReceived")).GetProperty("digit").GetString());
    }

    [Fact]
    public async Task An_endpoint_subscription_outlives_the_apps_WebSocket()
    {
        Assert.Equal(200, (await _ari.PostAsync("applications/citycontact/subscription?eventSource=endpoint:PJSIP")).Status);
        await _ari.DisposeAsync();
        await _sim.WaitUntilAsync(s => s.ConnectedApplications.Count == 0);

        _ari = await RawAriClient.ConnectAsync(_sim);
        var (status, _, app) = await _ari.SendAsync(HttpMethod.Get, "applications/citycontact");

        Assert.Equal(200, status);
        Assert.Equal(["PJSIP"], app!.Value.GetProperty("endpoint_ids").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }
}
