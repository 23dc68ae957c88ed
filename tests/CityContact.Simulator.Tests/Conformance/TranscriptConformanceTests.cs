using Xunit;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>Issue 5's acceptance: every recorded ARI scenario, replayed against the simulator, gives the recorded answers and events.</summary>
public sealed class TranscriptConformanceTests
{
    public static TheoryData<string> AriScenarios => new(TranscriptLoader.AriScenarioFiles());

    [Theory]
    [MemberData(nameof(AriScenarios))]
    public async Task Simulator_answers_and_emits_what_Asterisk_recorded(string transcriptFile)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var transcript = TranscriptLoader.Load(transcriptFile);
        await using var simulator = await SimulatorUnderTest.StartAsync(transcript.Lab, deadline.Token);

        var result = await new ScenarioReplayer(transcript, simulator).ReplayAsync(deadline.Token);

        Assert.True(result.Conforms, result.Describe());
    }

    [Fact]
    public void Every_ari_transcript_is_a_test_case()
    {
        Assert.Equal(17, TranscriptLoader.AriScenarioFiles().Count);
    }
}
