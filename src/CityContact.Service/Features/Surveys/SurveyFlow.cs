using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;

namespace CityContact.Service.Features.Surveys;

/// <summary>What an outbound survey call runs once the citizen answers: the survey question, thanks, goodbye.</summary>
public static class SurveyFlow
{
    public const string Code = "survey-call";

    public static RunnableFlow Runnable { get; } = new(null, Code, 0, new FlowDefinition
    {
        Start = "survey",
        Nodes = new Dictionary<string, FlowNode>
        {
            ["survey"] = new() { Kind = NodeKinds.Survey, Prompts = ["survey-question"], InvalidPrompt = "invalid-choice", NoInputPrompt = "no-input", Next = "goodbye" },
            ["goodbye"] = new() { Kind = NodeKinds.Play, Prompts = ["goodbye"], Next = "end" },
            ["end"] = new() { Kind = NodeKinds.Hangup },
        },
    });
}
