using CityContact.Simulator.Changes;

namespace CityContact.Simulator.Ami;

/// <summary>What the AMI server needs from the simulated Asterisk: snapshots for the list actions and the change feed for events.</summary>
public interface IAmiStateSource
{
    IReadOnlyList<ChannelInfo> Channels { get; }

    IReadOnlyList<AmiEndpointView> Endpoints { get; }

    /// <summary>
    /// Starts an AMI Originate with Application on a PJSIP endpoint; its outcome arrives as <see cref="OriginateCompleted"/>
    /// carrying <paramref name="correlationId"/>.
    /// </summary>
    void OriginateApplication(string endpoint, string application, string data, string? callerId, TimeSpan timeout,
        IReadOnlyList<KeyValuePair<string, string>> variables, string correlationId);

    /// <summary>Every state change, in order; the observer only queues (it may run under the simulator's lock).</summary>
    IDisposable Subscribe(Action<StateChange> observer);
}

/// <summary>A PJSIP endpoint as the PJSIP* list actions show it.</summary>
/// <param name="Name">Endpoint, AOR and auth name (agent1, trunk).</param>
/// <param name="IsTrunk">The trunk is identified by IP: no auth, a static contact, unlimited contacts.</param>
/// <param name="ContactUri">The registered (or static) contact, or null when none.</param>
/// <param name="CallerId">The endpoint's <c>callerid</c> setting, e.g. <c>"Agent One" &lt;agent1&gt;</c>.</param>
/// <param name="RegisteredAt">When the contact registered (null for the trunk's static contact).</param>
public sealed record AmiEndpointView(string Name, bool IsTrunk, string? ContactUri, int ActiveChannels, string CallerId, string Context, DateTimeOffset? RegisteredAt)
{
    /// <summary>The DeviceState text of PJSIPShowEndpoints.</summary>
    public string DeviceState => ContactUri is null ? "Unavailable" : ActiveChannels > 0 ? "In use" : "Not in use";
}
