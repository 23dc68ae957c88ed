namespace CityContact.Telephony.Ami;

public enum AmiConnectionState
{
    /// <summary>Not started, or between two attempts.</summary>
    Disconnected,

    /// <summary>Opening the socket and logging in.</summary>
    Connecting,

    /// <summary>Logged in: actions can be sent and events flow. The only state /health/ready accepts.</summary>
    Connected,

    /// <summary>Stopped on request; does not reconnect.</summary>
    Stopped,
}
