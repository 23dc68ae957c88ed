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
}
