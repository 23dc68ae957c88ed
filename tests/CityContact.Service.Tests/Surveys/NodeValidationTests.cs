using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Surveys;

namespace CityContact.Service.Tests.Surveys;

/// <summary>The ticket-status, survey and voicemail nodes as the flow validator sees them before a publish.</summary>
public sealed class NodeValidationTests
{
    private sealed class References : IFlowReferences
    {
        public bool PromptExists(string key, string language) => key != "missing";

        public bool QueueExists(string code) => code == "complaints";

        public bool ScheduleExists(string code) => true;
    }

    private static IReadOnlyList<FlowError> Validate(params (string Id, FlowNode Node)[] nodes) =>
        FlowValidator.Validate(new FlowDefinition
        {
            Start = nodes[0].Id,
            Nodes = nodes.Append((Id: "end", Node: new FlowNode { Kind = NodeKinds.Hangup })).ToDictionary(n => n.Id, n => n.Node),
        }, new References());

    [Fact]
    public void A_ticket_status_node_followed_by_a_survey_is_valid()
    {
        var errors = Validate(
            ("status", new FlowNode { Kind = NodeKinds.TicketStatus, Prompts = ["ticket-status-enter"], Next = "rate" }),
            ("rate", new FlowNode { Kind = NodeKinds.Survey, Prompts = ["survey-question"], Next = "end" }));
        Assert.Empty(errors);
    }

    [Fact]
    public void Ticket_status_and_survey_nodes_need_their_question_and_a_next_node()
    {
        var errors = Validate(
            ("status", new FlowNode { Kind = NodeKinds.TicketStatus, Next = "rate", MaxDigits = 40 }),
            ("rate", new FlowNode { Kind = NodeKinds.Survey, Prompts = ["missing"] }));
        Assert.Contains(new FlowError("status", "prompts", "the question to play is required"), errors);
        Assert.Contains(errors, e => e is { Node: "status", Field: "maxDigits" });
        Assert.Contains(new FlowError("rate", "next", "required"), errors);
        Assert.Contains(errors, e => e is { Node: "rate", Field: "prompts[0]" });
    }

    [Fact]
    public void A_voicemail_node_may_name_a_known_queue_for_its_department_and_has_no_next()
    {
        Assert.DoesNotContain(Validate(("vm", new FlowNode { Kind = NodeKinds.Voicemail, Queue = "complaints" })), e => e.Node == "vm");
        var errors = Validate(("vm", new FlowNode { Kind = NodeKinds.Voicemail, Queue = "nowhere", Next = "end" }));
        Assert.Contains(new FlowError("vm", "queue", "unknown queue 'nowhere'"), errors);
        Assert.Contains(errors, e => e is { Node: "vm", Field: "next" });
    }

    [Fact]
    public void The_built_in_survey_call_flow_is_valid()
    {
        Assert.Empty(FlowValidator.Validate(SurveyFlow.Runnable.Definition, new References()));
    }

    [Theory]
    [InlineData("+40256000001", true)]
    [InlineData("+40721234567", true)]
    [InlineData("+40900123456", false)]
    [InlineData("+40800123456", false)]
    [InlineData("+441234567890", false)]
    [InlineData("+4025600000", false)]
    public void Survey_calls_go_only_to_allowed_numbers(string number, bool allowed) =>
        Assert.Equal(allowed, new SurveyOptions().IsAllowed(number));
}
