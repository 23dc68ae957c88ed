using CityContact.Simulator.AriServer;

namespace CityContact.Simulator.Core;

/// <summary>A Stasis application: registered while a WebSocket serves it, kept (with its channels) when the socket drops.</summary>
internal sealed class StasisApp
{
    public required string Name { get; init; }
    public AriEventSocket? Socket { get; set; }
    public HashSet<string> EndpointSubscriptions { get; } = new(StringComparer.Ordinal);
    public HashSet<string> DeviceSubscriptions { get; } = new(StringComparer.Ordinal);
    public bool EverConnected { get; set; }

    /// <summary>PUT /applications/{app}/eventFilter: when not empty, only these event types are sent (listed as given).</summary>
    public List<string> AllowedEvents { get; } = [];

    /// <summary>Event types never sent; they win over <see cref="AllowedEvents"/>.</summary>
    public List<string> DisallowedEvents { get; } = [];

    public bool Allows(string eventType) => !DisallowedEvents.Contains(eventType) && (AllowedEvents.Count == 0 || AllowedEvents.Contains(eventType));
}
