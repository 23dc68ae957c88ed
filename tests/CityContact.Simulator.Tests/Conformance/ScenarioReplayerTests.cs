using System.Text.Json.Nodes;
using Xunit;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>
/// The replay must fail where the simulator departs from the recording. Each test alters a scenario the simulator
/// replays faithfully (ari-inbound-play-app-hangup.json) and checks the failure names the altered step.
/// </summary>
public sealed class ScenarioReplayerTests
{
    private const string Scenario = "ari-inbound-play-app-hangup.json";

    private static async Task<ReplayResult> ReplayAsync(Func<List<TranscriptStep>, List<TranscriptStep>> alter)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var recorded = TranscriptLoader.Load(Scenario);
        var steps = alter([.. recorded.Steps]).Select((s, i) => s with { Index = i }).ToList();
        await using var simulator = await SimulatorUnderTest.StartAsync(deadline.Token);
        return await new ScenarioReplayer(recorded with { Steps = steps }, simulator) { FrameTimeout = TimeSpan.FromSeconds(1) }.ReplayAsync(deadline.Token);
    }

    private static int IndexOf(List<TranscriptStep> steps, string type) => steps.FindIndex(s => s is EventStep e && e.Type == type);

    [Fact]
    public async Task The_unaltered_scenario_conforms()
    {
        var result = await ReplayAsync(steps => steps);

        Assert.True(result.Conforms, result.Describe());
    }

    [Fact]
    public async Task An_event_the_simulator_does_not_send_fails_at_that_step()
    {
        var result = await ReplayAsync(steps =>
        {
            var stasisEnd = (EventStep)steps[IndexOf(steps, "StasisEnd")];
            steps.Add(stasisEnd with { T = stasisEnd.T + 0.001 });
            return steps;
        });

        var failure = Assert.Single(result.Failures);
        Assert.Equal(25, failure.Step.Index);
        Assert.Contains("no frame on ws1", failure.Differences[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_the_recording_does_not_have_fails_at_the_next_event()
    {
        var result = await ReplayAsync(steps =>
        {
            steps.RemoveAt(IndexOf(steps, "ChannelStateChange"));
            return steps;
        });

        var failure = Assert.Single(result.Failures);
        Assert.Equal("$.type", failure.Differences[0].Path);
        Assert.Equal("PlaybackStarted", ((EventStep)failure.Step).Type);
    }

    [Fact]
    public async Task Events_in_another_order_fail()
    {
        var result = await ReplayAsync(steps =>
        {
            var hangup = IndexOf(steps, "ChannelHangupRequest");
            (steps[hangup], steps[hangup + 1]) = (steps[hangup + 1], steps[hangup]);
            return steps;
        });

        var failure = Assert.Single(result.Failures);
        Assert.Equal("StasisEnd", ((EventStep)failure.Step).Type);
        Assert.Contains("got ChannelHangupRequest", failure.Differences[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_field_of_an_event_fails_with_its_path()
    {
        var result = await ReplayAsync(steps =>
        {
            var index = IndexOf(steps, "PlaybackFinished");
            var step = (EventStep)steps[index];
            var altered = JsonNode.Parse(step.Event!.Value.GetRawText())!;
            altered["playback"]!["state"] = "failed";
            steps[index] = step with { Event = System.Text.Json.JsonDocument.Parse(altered.ToJsonString()).RootElement.Clone() };
            return steps;
        });

        var failure = Assert.Single(result.Failures);
        Assert.Equal("$.playback.state", Assert.Single(failure.Differences).Path);
        Assert.Contains($"step {failure.Step.Index} (t=1.5304", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_status_of_a_response_fails()
    {
        var result = await ReplayAsync(steps =>
        {
            var index = steps.FindIndex(s => s is ResponseStep { Status: 204 });
            steps[index] = ((ResponseStep)steps[index]) with { Status = 200, Reason = "OK" };
            return steps;
        });

        var failure = Assert.Single(result.Failures);
        Assert.Equal(["status", "reason"], failure.Differences.Select(d => d.Path));
    }
}
