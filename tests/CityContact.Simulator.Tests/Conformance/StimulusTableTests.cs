using Xunit;

namespace CityContact.Simulator.Tests.Conformance;

public sealed class StimulusTableTests
{
    public static TheoryData<string> AriScenarios => new(TranscriptLoader.AriScenarioFiles());

    [Theory]
    [MemberData(nameof(AriScenarios))]
    public void Every_stimulus_of_the_transcripts_has_a_rule(string transcriptFile)
    {
        foreach (var stimulus in TranscriptLoader.Load(transcriptFile).Steps.OfType<StimulusStep>())
        {
            StimulusTable.Translate(stimulus);
        }
    }

    [Fact]
    public void A_caller_call_a_bye_and_digits_become_actions_on_that_call()
    {
        var steps = TranscriptLoader.Load("ari-dtmf-barge-in.json").Steps.OfType<StimulusStep>().Select(StimulusTable.Translate).OfType<StimulusAction>().ToList();

        Assert.Equal(
            [new CallArrives("1-26902@127.0.0.1", "100", "+15551230001", "Caller 1"), new CallerPresses(null, '2'), new CallerPresses(null, '1'), new CallerPresses(null, '2'), new CallerPresses(null, '#')],
            steps);
    }

    [Fact]
    public void An_agent_phone_answers_after_the_ringing_time_recorded()
    {
        var plan = Assert.Single(StimulusTable.PhonePlans(TranscriptLoader.Load("ari-create-dial.json")));

        Assert.Equal("agent1", plan.Endpoint);
        Assert.InRange(plan.After!.Value.TotalSeconds, 1.9, 2.1);
    }

    [Fact]
    public void An_agent_phone_that_never_answered_is_planned_not_to_answer()
    {
        var plan = Assert.Single(StimulusTable.PhonePlans(TranscriptLoader.Load("ari-originate-no-answer.json")));

        Assert.Null(plan.After);
    }

    [Fact]
    public void An_unknown_stimulus_fails_the_replay()
    {
        Assert.Throws<InvalidDataException>(() => StimulusTable.Translate(new StimulusStep(3, 1.0, "sipp-trace", "caller sent REFER sip:200@127.0.0.1 SIP/2.0", "x", "3 REFER")));
    }
}
