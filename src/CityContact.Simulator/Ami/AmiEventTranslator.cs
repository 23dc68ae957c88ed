using System.Globalization;
using CityContact.Simulator.Changes;
using CityContact.Telephony.Ami;

namespace CityContact.Simulator.Ami;

/// <summary>
/// Turns the simulator's state changes into the AMI events Asterisk 22.10.1 sends for them, in its order
/// (ami-call-events, ami-originate, ami-contact-status). Keeps the little per-channel memory AMI needs:
/// a hangup that began as a soft hangup repeats SoftHangupRequest with the final cause, and a contact's
/// ContactStatus follows the endpoint's DeviceStateChange. Not thread-safe: one caller, in change order.
/// </summary>
internal sealed class AmiEventTranslator(IReadOnlySet<string> trunkEndpoints, AmiOriginates originates)
{
    // The core reports device states of deskphones only; the trunk's (INUSE while a call is up) is derived here.
    private readonly Dictionary<string, int> _trunkCallsUp = new(StringComparer.Ordinal);
    private readonly HashSet<string> _upTrunkChannels = new(StringComparer.Ordinal);
    private readonly HashSet<string> _softHungUp = new(StringComparer.Ordinal);
    private readonly HashSet<string> _stasisStatusSet = new(StringComparer.Ordinal);
    private AmiMessage? _heldContactStatus;
    private string? _heldForDevice;

    public IReadOnlyList<AmiMessage> Translate(StateChange change)
    {
        var output = new List<AmiMessage>(4);
        if (_heldContactStatus is not null && !(change is DeviceStateChanged held && held.Device == _heldForDevice))
        {
            FlushHeld(output);
        }

        switch (change)
        {
            case ChannelCreated created:
                output.Add(ChannelEvent("Newchannel", "call,all", created.Channel).Build());
                break;
            case CallerIdChanged callerId:
                output.Add(ChannelEvent("NewCallerid", "call,all", callerId.Channel).Add("CID-CallingPres", "0 (Presentation Allowed, Not Screened)").Build());
                break;
            case ConnectedLineChanged connectedLine:
                output.Add(ChannelEvent("NewConnectedLine", "call,all", connectedLine.Channel).Build());
                break;
            case ChannelStateChanged state:
                output.Add(ChannelEvent("Newstate", "call,all", state.Channel).Build());
                if (state.Channel.State == "Up" && trunkEndpoints.Contains(state.Channel.Endpoint) && _upTrunkChannels.Add(state.Channel.UniqueId))
                {
                    var up = _trunkCallsUp[state.Channel.Endpoint] = _trunkCallsUp.GetValueOrDefault(state.Channel.Endpoint) + 1;
                    if (up == 1)
                    {
                        output.Add(DeviceState("PJSIP/" + state.Channel.Endpoint, "INUSE"));
                    }
                }
                break;
            case ChannelDialplanStep step:
                output.Add(ChannelEvent("Newexten", "dialplan,all", step.Channel)
                    .Add("Extension", step.Channel.Exten).Add("Application", step.Channel.Application).Add("AppData", step.Channel.ApplicationData)
                    .Build());
                break;
            case ChannelVarSet { Variable: "STASISSTATUS", Value: "SUCCESS" } stasisStatus
                when !_stasisStatusSet.Add(stasisStatus.Channel.UniqueId):
                // Already reported when the channel left Stasis.
                break;
            case StasisLeft left when _stasisStatusSet.Add(left.Channel.UniqueId):
                // Stasis() returning sets STASISSTATUS on every channel; ARI shows it only for originated ones.
                output.Add(ChannelEvent("VarSet", "dialplan,all", left.Channel).Add("Variable", "STASISSTATUS").Add("Value", "SUCCESS").Build());
                break;
            case ChannelVarSet varSet:
                output.Add(ChannelEvent("VarSet", "dialplan,all", varSet.Channel).Add("Variable", varSet.Variable).Add("Value", varSet.Value).Build());
                break;
            case ChannelHangupRequested { Soft: true } soft:
                _softHungUp.Add(soft.Channel.UniqueId);
                output.Add(ChannelEvent("SoftHangupRequest", "call,all", soft.Channel).Add("Cause", soft.Cause ?? 32).Build());
                break;
            case ChannelHangupRequested remote:
                output.Add(ChannelEvent("HangupRequest", "call,all", remote.Channel).Add("Cause", remote.Cause ?? 16).Build());
                break;
            case ChannelDestroyed destroyed:
                _stasisStatusSet.Remove(destroyed.Channel.UniqueId);
                if (_softHungUp.Remove(destroyed.Channel.UniqueId))
                {
                    output.Add(ChannelEvent("SoftHangupRequest", "call,all", destroyed.Channel).Add("Cause", destroyed.Cause).Build());
                }
                output.Add(ChannelEvent("Hangup", "call,all", destroyed.Channel).Add("Cause", destroyed.Cause).Add("Cause-txt", destroyed.CauseText).Build());
                if (_upTrunkChannels.Remove(destroyed.Channel.UniqueId) && --_trunkCallsUp[destroyed.Channel.Endpoint] == 0)
                {
                    output.Add(DeviceState("PJSIP/" + destroyed.Channel.Endpoint, "NOT_INUSE"));
                }
                break;
            case AsteriskShuttingDown shutdown:
                output.Add(AmiFrame.Event("Shutdown", "system,all").Add("Shutdown", "Cleanly").Add("Restart", shutdown.Restart ? "True" : "False").Build());
                break;
            case DtmfReceived dtmf:
                output.Add(Dtmf("DTMFBegin", dtmf).Build());
                output.Add(Dtmf("DTMFEnd", dtmf).Add("DurationMs", dtmf.DurationMs).Build());
                break;
            case DialBegan dial:
                output.Add(DialEvent("DialBegin", dial.Caller, dial.Peer).Add("DialString", dial.DialString).Build());
                break;
            case DialStatusChanged { DialStatus: "RINGING" or "PROGRESS" or "PROCEEDING" } progress:
                output.Add(DialEvent("DialState", progress.Caller, progress.Peer).Add("DialStatus", progress.DialStatus).Build());
                break;
            case DialStatusChanged end:
                output.Add(DialEvent("DialEnd", end.Caller, end.Peer).Add("DialStatus", end.DialStatus).Build());
                break;
            case EndpointStateChanged endpoint:
                // Registering and unregistering both pass PJSIP digest auth first.
                output.AddRange(RegisterAuthentication(endpoint.Resource, endpoint.Timestamp));
                output.Add(AmiFrame.Event("PeerStatus", "system,all").Add("ChannelType", endpoint.Technology)
                    .Add("Peer", $"{endpoint.Technology}/{endpoint.Resource}")
                    .Add("PeerStatus", endpoint.State == "online" ? "Reachable" : "Unreachable").Build());
                break;
            case ContactStatusChanged contact:
                _heldContactStatus = AmiFrame.Event("ContactStatus", "system,all").Add("URI", contact.Uri).Add("ContactStatus", contact.Status)
                    .Add("AOR", contact.Endpoint).Add("EndpointName", contact.Endpoint).Add("RoundtripUsec", contact.RoundtripUsec).Build();
                _heldForDevice = "PJSIP/" + contact.Endpoint;
                break;
            case DeviceStateChanged device:
                output.Add(DeviceState(device.Device, device.State));
                FlushHeld(output);
                break;
            case OriginateCompleted originate when originates.Take(originate.CorrelationId) is { } request:
                if (request.Async)
                {
                    output.Add(OriginateResponse(originate, request));
                }
                request.Outcome.TrySetResult(originate.Success);
                break;
            case OriginateCompleted originate:
                output.Add(OriginateResponse(originate));
                break;
            default:
                // Stasis, bridge and playback changes have no AMI event we model (AMI has no StasisStart/StasisEnd).
                break;
        }
        return output;
    }

    /// <summary>The security events a REGISTER with digest auth produces before the endpoint comes online.</summary>
    private static IEnumerable<AmiMessage> RegisterAuthentication(string endpoint, DateTimeOffset now)
    {
        // The SIP Call-ID and the phone's address are not known to the simulator: plausible values stand in.
        var callId = $"sim-register-{now.ToUnixTimeMilliseconds()}@127.0.0.1";
        const string contactHostPort = "127.0.0.1:5081";
        var eventTv = now.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal);
        yield return Security("ChallengeSent", eventTv, endpoint, callId, contactHostPort).Add("Challenge", "").Build();
        yield return Security("SuccessfulAuth", eventTv, endpoint, callId, contactHostPort).Add("UsingPassword", "1").Build();
    }

    private static AmiMessage DeviceState(string device, string state) =>
        AmiFrame.Event("DeviceStateChange", "call,all").Add("Device", device).Add("State", state).Build();

    private void FlushHeld(List<AmiMessage> output)
    {
        if (_heldContactStatus is not null)
        {
            output.Add(_heldContactStatus);
            _heldContactStatus = null;
            _heldForDevice = null;
        }
    }

    private static AmiFrame Security(string name, string eventTv, string endpoint, string callId, string remote) =>
        AmiFrame.Event(name, "security,all").Add("EventTV", eventTv).Add("Severity", "Informational").Add("Service", "PJSIP")
            .Add("EventVersion", "1").Add("AccountID", endpoint).Add("SessionID", callId)
            .Add("LocalAddress", "IPV4/UDP/127.0.0.1/5060").Add("RemoteAddress", $"IPV4/UDP/{remote.Replace(':', '/')}");

    private static AmiFrame ChannelEvent(string name, string privilege, ChannelInfo channel) => AmiFrame.Event(name, privilege).AddChannel(channel);

    private static AmiFrame Dtmf(string name, DtmfReceived dtmf) =>
        ChannelEvent(name, "dtmf,all", dtmf.Channel).Add("Digit", dtmf.Digit).Add("Direction", "Received");

    private static AmiFrame DialEvent(string name, ChannelInfo? caller, ChannelInfo peer)
    {
        var frame = AmiFrame.Event(name, "call,all");
        if (caller is not null)
        {
            frame.AddChannel(caller);
        }
        return frame.AddChannel(peer, "Dest");
    }

    /// <summary>An AMI Originate's answer: the request's application, data and caller id; <c>&lt;null&gt;</c> without a channel.</summary>
    private static AmiMessage OriginateResponse(OriginateCompleted originate, AmiOriginateRequest request) =>
        AmiFrame.Event("OriginateResponse", "call,all").AddActionId(request.ActionId)
            .Add("Response", originate.Success ? "Success" : "Failure")
            .Add("Channel", originate.Channel?.Name ?? request.Channel)
            .Add("Application", request.Application)
            .Add("Data", request.Data)
            .Add("Reason", originate.Reason)
            .Add("Uniqueid", originate.Channel?.UniqueId ?? "<null>")
            .Add("CallerIDNum", string.IsNullOrEmpty(request.CallerNumber) ? "<unknown>" : request.CallerNumber)
            .Add("CallerIDName", string.IsNullOrEmpty(request.CallerName) ? "<unknown>" : request.CallerName)
            .Build();

    private static AmiMessage OriginateResponse(OriginateCompleted originate)
    {
        var frame = AmiFrame.Event("OriginateResponse", "call,all").AddActionId(originate.CorrelationId)
            .Add("Response", originate.Success ? "Success" : "Failure")
            .Add("Channel", originate.Channel?.Name ?? "")
            .Add("Application", originate.Channel?.Application ?? "")
            .Add("Data", originate.Channel?.ApplicationData ?? "")
            .Add("Reason", originate.Reason)
            .Add("Uniqueid", originate.Channel?.UniqueId ?? "<null>")
            .Add("CallerIDNum", string.IsNullOrEmpty(originate.Channel?.CallerNumber) ? "<unknown>" : originate.Channel.CallerNumber)
            .Add("CallerIDName", string.IsNullOrEmpty(originate.Channel?.CallerName) ? "<unknown>" : originate.Channel.CallerName);
        return frame.Build();
    }
}
