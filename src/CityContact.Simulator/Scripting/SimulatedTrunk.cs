using CityContact.Simulator.Core;

namespace CityContact.Simulator.Scripting;

/// <summary>The SIP trunk: where citizens' calls come from.</summary>
public sealed class SimulatedTrunk
{
    private readonly SimulatorCore _core;

    internal SimulatedTrunk(SimulatorCore core) => _core = core;

    /// <summary>
    /// A caller sends INVITE to <paramref name="to"/>. The call enters Stasis with the dialplan's args
    /// (<see cref="SimulatorOptions.TrunkStasisAppData"/>), or is declined (603) when no WebSocket serves the app,
    /// or runs a native application when <paramref name="to"/> is in <see cref="SimulatorOptions.NativeExtensions"/>.
    /// </summary>
    public SimulatedCaller Dial(string from, string to, string callerName = "")
        => new(_core, _core.TrunkInvite(from, callerName, to));

    /// <summary>The trunk goes away: every trunk call gets a BYE at once.</summary>
    public void DropAll() => _core.TrunkDropAll();
}
