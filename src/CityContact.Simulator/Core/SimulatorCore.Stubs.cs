using CityContact.Simulator.AriServer;
using CityContact.Simulator.Scripting;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Simulator.Core;

internal sealed partial class SimulatorCore
{
    public SimChannel TrunkInvite(string from, string callerName, string to) => throw new NotSupportedException(from + callerName + to);
    public void TrunkDropAll() { }
    public void Dtmf(SimChannel channel, string digits) { }
    public void Speak(SimChannel channel, TimeSpan length) { }
    public void RemoteHangup(SimChannel channel) { }
    public void Register(SimEndpoint endpoint) { }
    public void Unregister(SimEndpoint endpoint) { }
    public void SetAnswerBehaviour(SimEndpoint endpoint, PhoneAnswerBehaviour behaviour, TimeSpan delay) { }
    public void PhoneHangup(SimEndpoint endpoint) { }
    public SimEndpoint GetPhoneEndpoint(string name) => _endpoints[name];
    public void DropWebSockets() { }
    public IReadOnlyList<Bridge> SnapshotBridges() => [];
    public IReadOnlyList<Playback> SnapshotPlaybacks() => [];
    public IReadOnlyList<LiveRecording> SnapshotLiveRecordings() => [];
    public IReadOnlyList<string> SnapshotConnectedApplications() => [];
    public void ConnectApplications(string[] names, AriEventSocket socket) { }
    public void DisconnectApplications(string[] names, AriEventSocket socket) { }
}
