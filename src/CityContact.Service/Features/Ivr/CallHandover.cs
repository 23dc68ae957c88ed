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

/// <summary>Where a handover had a call when the previous service instance stopped, read back from Asterisk.</summary>
public abstract record HandoverPlace(string NodeId, string Language);

/// <summary>
/// A handover whose place outlives the service (the queue): it keeps the place on the channel itself, so that after a
/// restart a re-adopted call goes back where it was instead of to the operator fallback.
/// </summary>
public interface IResumableHandover
{
    /// <summary>
    /// The place the previous instance left on the channel, or null (then the call goes to the fallback). Called for every
    /// re-adopted call before any of them resumes, so that what a place holds (an agent still talking) is taken again first.
    /// </summary>
    Task<HandoverPlace?> ReclaimAsync(string channelId, CancellationToken ct);

    /// <summary>Takes the call back at its place: the next node, or null when the call ends (as <see cref="ICallHandover.HandOverAsync"/>).</summary>
    Task<string?> ResumeAsync(CallHandler call, HandoverPlace place, CancellationToken ct);
}

/// <summary>
/// Another feature's part of the Stasis app: StasisStarts whose args the IVR does not own (e.g. <c>feature,*45,101</c>)
/// and events of no call the IVR holds (endpoint states, the feature channels' own events). Must not block.
/// </summary>
public interface IStasisListener
{
    void Handle(AriMessage message);
}
