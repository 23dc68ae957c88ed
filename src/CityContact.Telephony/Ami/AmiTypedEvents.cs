namespace CityContact.Telephony.Ami;

/// <summary>One <c>EndpointList</c> item of PJSIPShowEndpoints. <see cref="DeviceState"/> is Asterisk's text ("Not in use", "Unavailable", "In use").</summary>
public sealed record AmiEndpointEntry(string Name, string Aor, string Contacts, string DeviceState, int ActiveChannels)
{
    public bool HasContact => Contacts.Length > 0;

    public static AmiEndpointEntry From(AmiMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m["ObjectName"] ?? "", m["Aor"] ?? "", m["Contacts"] ?? "", m["DeviceState"] ?? "", AmiValues.Int(m["ActiveChannels"]));
    }
}

/// <summary>One <c>ContactList</c> item of PJSIPShowContacts.</summary>
public sealed record AmiContactEntry(string Endpoint, string Aor, string Uri, string Status, string UserAgent)
{
    public static AmiContactEntry From(AmiMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var objectName = m["ObjectName"] ?? "";
        var aor = objectName.Split(';', 2)[0];
        return new(m["Endpoint"] ?? "", aor, m["Uri"] ?? "", m["Status"] ?? "", m["UserAgent"] ?? "");
    }
}

/// <summary>One <c>CoreShowChannel</c> item; <see cref="UniqueId"/> is the ARI channel id.</summary>
public sealed record AmiChannelEntry(string Channel, string UniqueId, string LinkedId, string State, string CallerIdNum, string Application, string ApplicationData, string BridgeId)
{
    public static AmiChannelEntry From(AmiMessage m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m["Channel"] ?? "", m["Uniqueid"] ?? "", m["Linkedid"] ?? "", m["ChannelStateDesc"] ?? "", m["CallerIDNum"] ?? "",
            m["Application"] ?? "", m["ApplicationData"] ?? "", m["BridgeId"] ?? "");
    }
}

/// <summary>A deskphone's contact changed: <see cref="Status"/> is NonQualified/Reachable on register, Removed on unregister, Unreachable when qualify fails.</summary>
public sealed record AmiContactStatusEvent(string Aor, string EndpointName, string Uri, string Status, string RoundtripUsec)
{
    public bool IsRegistered => Status is not ("Removed" or "Unreachable" or "Unknown");
}

/// <summary><see cref="State"/>: NOT_INUSE, INUSE, BUSY, RINGING, RINGINUSE, ONHOLD, UNAVAILABLE, INVALID, UNKNOWN.</summary>
public sealed record AmiDeviceStateChangeEvent(string Device, string State);

/// <summary><see cref="PeerStatus"/>: Reachable, Unreachable (PJSIP), plus Registered/Unregistered from other channel drivers.</summary>
public sealed record AmiPeerStatusEvent(string ChannelType, string Peer, string PeerStatus);

public sealed record AmiFullyBootedEvent(string Status, long UptimeSeconds, long LastReloadSeconds);

/// <summary>Asterisk is going down; <see cref="Restart"/> tells whether it comes back by itself.</summary>
public sealed record AmiShutdownEvent(string Shutdown, bool Restart);

/// <summary>Builds the typed view of the events CityContact acts upon; anything else stays an <see cref="AmiMessage"/>.</summary>
public static class AmiTypedEvents
{
    /// <summary>The typed record for <paramref name="message"/>, or null when it is not one of the events above.</summary>
    public static object? From(AmiMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.EventName switch
        {
            "ContactStatus" => new AmiContactStatusEvent(message["AOR"] ?? "", message["EndpointName"] ?? "", message["URI"] ?? "",
                message["ContactStatus"] ?? "", message["RoundtripUsec"] ?? ""),
            "DeviceStateChange" => new AmiDeviceStateChangeEvent(message["Device"] ?? "", message["State"] ?? ""),
            "PeerStatus" => new AmiPeerStatusEvent(message["ChannelType"] ?? "", message["Peer"] ?? "", message["PeerStatus"] ?? ""),
            "FullyBooted" => new AmiFullyBootedEvent(message["Status"] ?? "", AmiValues.Long(message["Uptime"]), AmiValues.Long(message["LastReload"])),
            "Shutdown" => new AmiShutdownEvent(message["Shutdown"] ?? "", string.Equals(message["Restart"], "True", StringComparison.OrdinalIgnoreCase)),
            _ => null,
        };
    }
}

internal static class AmiValues
{
    public static int Int(string? value) => int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    public static long Long(string? value) => long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
}
