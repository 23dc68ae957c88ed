using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr.Flows;

namespace CityContact.Service.Features.Ivr;

/// <summary>
/// Runs a node that takes the caller out of the IVR's own steps (<c>queue</c>, <c>voicemail</c>, <c>ticket-status</c>, <c>survey</c>); returns the next node, or null when the call
/// ends (the handler then hangs up and closes the row with the outcome set through <see cref="CallHandler.Finish"/>).
/// </summary>
public interface ICallHandover
{
    Task<string?> HandOverAsync(CallHandler call, FlowNode node, CancellationToken ct);
}

/// <summary>
/// Until the queue feature exists: the caller hears "please wait", then "all operators are busy" and "goodbye", and the
/// call ends with outcome <c>failed</c> (not served) and a <c>queue.unavailable</c> event naming the queue.
/// </summary>
public sealed class RecordedQueuePlaceholder : ICallHandover
{
    public async Task<string?> HandOverAsync(CallHandler call, FlowNode node, CancellationToken ct)
    {
        call.Step("queue.entered", new { queue = node.Queue, priority = node.Priority ?? 0 });
        await call.PlayAsync(["please-wait", "queue-unavailable", "goodbye"], interruptible: false, ct);
        call.Step("queue.unavailable", new { queue = node.Queue });
        call.Finish(CallOutcomes.Failed, "queue-unavailable");
        return null;
    }
}
