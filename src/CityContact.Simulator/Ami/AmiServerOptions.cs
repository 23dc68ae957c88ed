namespace CityContact.Simulator.Ami;

/// <summary>How the simulated AMI listens and whom it lets in.</summary>
public sealed class AmiServerOptions
{
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port; read it back from <see cref="AmiServer.Port"/>.</summary>
    public int Port { get; init; }

    /// <summary>manager.conf users: name → secret.</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string> { ["cc"] = "cc" };

    /// <summary>Asterisk answers a bad login after about a second, then closes; tests shorten it.</summary>
    public TimeSpan FailedLoginDelay { get; init; } = TimeSpan.FromSeconds(1);

    public string Banner { get; init; } = "Asterisk Call Manager/11.0.0";

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// manager.conf <c>eventfilter</c> of the user (a regular expression an event's text must match to be sent), null
    /// for none. The shipped manager.conf says <c>Event: (DeviceStateChange|FullyBooted|Shutdown)</c> (ami-device-state.json).
    /// </summary>
    public System.Text.RegularExpressions.Regex? EventFilter { get; init; }
}
