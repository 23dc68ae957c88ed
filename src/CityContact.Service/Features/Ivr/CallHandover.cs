using CityContact.Telephony.Ari.Models;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr.Flows;

namespace CityContact.Service.Features.Ivr;

/// <summary>
/// Takes a caller out of the IVR at a <c>queue</c> or <c>voicemail</c> node; returns the next node, or null when the call
/// ends (the handler then hangs up and closes the row with the outcome set through <see cref="CallHandler.Finish"/>).
/// </summary>
public interface ICallHandover
{
    Task<string?> HandOverAsync(CallHandler call, FlowNode node, CancellationToken ct);
}

/// <summary>
/// Another feature's part of the Stasis app: StasisStarts whose args the IVR does not own (e.g. <c>feature,*45,101</c>)
/// and events of no call the IVR holds (endpoint states, the feature channels' own events). Must not block.
/// </summary>
public interface IStasisListener
{
    void Handle(AriMessage message);
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

/// <summary>Until the voicemail feature exists: an apology that the service is unavailable, then goodbye.</summary>
public sealed class RecordedVoicemailPlaceholder : ICallHandover
{
    public async Task<string?> HandOverAsync(CallHandler call, FlowNode node, CancellationToken ct)
    {
        call.Step("voicemail.entered");
        await call.PlayAsync(["goodbye"], interruptible: false, ct);
        call.Step("voicemail.unavailable");
        call.Finish(CallOutcomes.Failed, "voicemail-unavailable");
        return null;
    }
}
