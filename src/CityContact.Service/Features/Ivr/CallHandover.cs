using CityContact.Telephony.Ari.Models;
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
/// Another feature's part of the Stasis app: StasisStarts whose args the IVR does not own (e.g. <c>feature,*45,101</c>)
/// and events of no call the IVR holds (endpoint states, the feature channels' own events). Must not block.
/// </summary>
public interface IStasisListener
{
    void Handle(AriMessage message);
}
