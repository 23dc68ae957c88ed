using CityContact.Simulator.Core;

namespace CityContact.Simulator.AriServer;

/// <summary>The ARI REST routes of Asterisk 22 and the core operation each one runs.</summary>
internal sealed class AriRoutes(SimulatorCore core)
{
    public AriResponse Dispatch(AriRequest request)
    {
        _ = core;
        _ = request;
        return AriResponse.NotFound("Resource not found");
    }
}
