using System.Net.Http.Headers;
using System.Text;
using Xunit;

namespace CityContact.Simulator.Tests.StateMachine;

/// <summary>PUT /applications/{app}/eventFilter, as Asterisk 22.10.1 answered it (bodies checked against the real one).</summary>
public sealed class EventFilterTests
{
    private static async Task<(int Status, string Body)> PutFilterAsync(RawAriClient ari, string app, string? json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"applications/{app}/eventFilter");
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        using var response = await ari.Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Only_allowed_types_reach_the_app_and_an_empty_body_lets_everything_through_again()
    {
        await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions());
        await using var ari = await RawAriClient.ConnectAsync(sim);

        var (status, body) = await PutFilterAsync(ari, "citycontact", """{"allowed":[{"type":"StasisStart"},{"type":"StasisEnd"}],"ignored":1}""");
        Assert.Equal(200, status);
        Assert.Contains("\"events_allowed\":[{\"type\":\"StasisStart\"},{\"type\":\"StasisEnd\"}]", body, StringComparison.Ordinal);

        var caller = sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        await ari.NextAsync("StasisStart");
        Assert.Equal(204, (await ari.PostAsync($"channels/{caller.ChannelId}/answer")).Status);
        await caller.HangUpAsync();
        // No ChannelStateChange, ChannelVarset or ChannelHangupRequest in between.
        await ari.NextAsync("StasisEnd");

        Assert.Equal(200, (await PutFilterAsync(ari, "citycontact", null)).Status);
        var second = sim.Trunk.Dial(from: "+40256123456", to: "0256969");
        await ari.NextAsync("StasisStart");
        Assert.Equal(204, (await ari.PostAsync($"channels/{second.ChannelId}/answer")).Status);
        await ari.NextAsync("ChannelStateChange");
    }

    [Fact]
    public async Task A_malformed_entry_is_refused_and_an_unknown_app_is_not_found()
    {
        await using var sim = await AsteriskSimulator.StartAsync(new SimulatorOptions());
        await using var ari = await RawAriClient.ConnectAsync(sim);

        Assert.Equal((400, """{"message":"Invalid format definition"}"""), await PutFilterAsync(ari, "citycontact", """{"allowed":[{"typo":"StasisStart"}]}"""));
        Assert.Equal((404, """{"message":"Application not found"}"""), await PutFilterAsync(ari, "nosuch", """{"allowed":[{"type":"StasisStart"}]}"""));
    }
}
