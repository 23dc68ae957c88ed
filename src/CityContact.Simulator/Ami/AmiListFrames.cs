using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CityContact.Simulator.Changes;
using CityContact.Telephony.Ami;

namespace CityContact.Simulator.Ami;

/// <summary>The event lists of PJSIPShowEndpoints/Endpoint/Contacts/RegistrationsInbound, CoreShowChannels and Status, shaped like Asterisk 22.10.1's.</summary>
internal static class AmiListFrames
{
    /// <summary>Registrations last the phones' requested 300 s in the transcripts.</summary>
    private static readonly TimeSpan RegistrationLifetime = TimeSpan.FromSeconds(300);

    public static IEnumerable<AmiMessage> EndpointList(IEnumerable<AmiEndpointView> endpoints, string actionId) =>
        endpoints.Select(endpoint => AmiFrame.ListEvent("EndpointList", actionId)
            .Add("ObjectType", "endpoint")
            .Add("ObjectName", endpoint.Name)
            .Add("Transport", "transport-udp")
            .Add("Aor", endpoint.Name)
            .Add("Auths", endpoint.IsTrunk ? "" : endpoint.Name)
            .Add("OutboundAuths", "")
            .Add("Contacts", endpoint.ContactUri is null ? "" : $"{endpoint.Name}/{endpoint.ContactUri},")
            .Add("DeviceState", endpoint.DeviceState)
            .Add("ActiveChannels", endpoint.ActiveChannels)
            .Build());

    public static IEnumerable<AmiMessage> EndpointDetail(AmiEndpointView endpoint, string actionId)
    {
        var detail = AmiFrame.ListEvent("EndpointDetail", actionId).Add("ObjectType", "endpoint").Add("ObjectName", endpoint.Name);
        foreach (var (key, value) in AmiPjsipDefaults.EndpointDetail)
        {
            detail.Add(key, value ?? key switch
            {
                "Aors" => endpoint.Name,
                "Context" => endpoint.Context,
                "Callerid" => endpoint.CallerId,
                "Auth" => endpoint.IsTrunk ? "" : endpoint.Name,
                _ => "",
            });
        }
        yield return detail.Add("DeviceState", endpoint.DeviceState).Add("ActiveChannels", endpoint.ActiveChannels).Build();

        if (!endpoint.IsTrunk)
        {
            yield return AmiFrame.ListEvent("AuthDetail", actionId)
                .Add("ObjectType", "auth").Add("ObjectName", endpoint.Name).Add("OauthSecret", "").Add("PasswordDigest", "")
                .Add("SupportedAlgorithmsUas", "MD5").Add("RefreshToken", "").Add("Username", endpoint.Name).Add("Md5Cred", "")
                .Add("Realm", "").Add("AuthType", "userpass").Add("Password", endpoint.Name + "pw").Add("SupportedAlgorithmsUac", "MD5")
                .Add("NonceLifetime", "32").Add("OauthClientid", "").Add("EndpointName", endpoint.Name)
                .Build();
        }

        var transport = AmiFrame.ListEvent("TransportDetail", actionId).Add("ObjectType", "transport").Add("ObjectName", "transport-udp");
        foreach (var (key, value) in AmiPjsipDefaults.TransportDetail)
        {
            transport.Add(key, value);
        }
        yield return transport.Add("EndpointName", endpoint.Name).Build();

        yield return Aor(AmiFrame.ListEvent("AorDetail", actionId), endpoint, contactKey: "Contacts", trailingComma: false)
            .Add("TotalContacts", endpoint.ContactUri is null ? 0 : 1)
            .Add("ContactsRegistered", endpoint.ContactUri is null || endpoint.IsTrunk ? 0 : 1)
            .Add("EndpointName", endpoint.Name)
            .Build();

        if (endpoint.ContactUri is { } uri && !endpoint.IsTrunk)
        {
            var (host, port) = HostAndPort(uri);
            yield return AmiFrame.ListEvent("ContactStatusDetail", actionId)
                .Add("AOR", endpoint.Name).Add("URI", uri).Add("UserAgent", "CityContact simulated phone")
                .Add("RegExpire", Expiry(endpoint)).Add("ViaAddress", $"{host}:{port}").Add("CallID", CallId(endpoint))
                .Add("Status", "NonQualified").Add("RoundtripUsec", "N/A").Add("EndpointName", endpoint.Name)
                .Add("ID", ContactId(endpoint.Name, uri)).Add("AuthenticateQualify", "0").Add("OutboundProxy", "").Add("Path", "")
                .Add("QualifyFrequency", "0").Add("QualifyTimeout", "3.000").Add("Qualify2xxOnly", "0")
                .Build();
        }
    }

    public static IEnumerable<AmiMessage> ContactList(IEnumerable<AmiEndpointView> endpoints, string actionId)
    {
        foreach (var endpoint in endpoints)
        {
            if (endpoint.IsTrunk || endpoint.ContactUri is not { } uri)
            {
                continue;
            }
            var (host, port) = HostAndPort(uri);
            yield return AmiFrame.ListEvent("ContactList", actionId)
                .Add("ObjectType", "contact").Add("ObjectName", ContactId(endpoint.Name, uri)).Add("ViaAddr", host)
                .Add("QualifyTimeout", "3.000000").Add("Qualify2xxOnly", "false").Add("CallId", CallId(endpoint)).Add("RegServer", "")
                .Add("PruneOnBoot", "no").Add("Path", "").Add("Endpoint", endpoint.Name).Add("ViaPort", port).Add("AuthenticateQualify", "no")
                .Add("Uri", uri).Add("QualifyFrequency", "0").Add("UserAgent", "CityContact simulated phone").Add("ExpirationTime", Expiry(endpoint))
                .Add("OutboundProxy", "").Add("Status", "NonQualified").Add("RoundtripUsec", "N/A")
                .Build();
        }
    }

    public static IEnumerable<AmiMessage> InboundRegistrations(IEnumerable<AmiEndpointView> endpoints, string actionId) =>
        endpoints.Select(endpoint =>
        {
            var frame = AmiFrame.ListEvent("InboundRegistrationDetail", actionId);
            return Aor(frame, endpoint, contactKey: "Contact", trailingComma: false, withContactsList: true).Build();
        });

    public static IEnumerable<AmiMessage> CoreShowChannels(IEnumerable<ChannelInfo> channels, DateTimeOffset now, string actionId) =>
        channels.Select(channel => AmiFrame.ListEvent("CoreShowChannel", actionId)
            .AddChannel(channel)
            .Add("Application", channel.Application)
            .Add("ApplicationData", channel.ApplicationData)
            .Add("Duration", (now - channel.CreatedAt).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture))
            .Add("BridgeId", "")
            .Build());

    public static IEnumerable<AmiMessage> Status(IEnumerable<ChannelInfo> channels, DateTimeOffset now, string actionId) =>
        channels.Select(channel => new AmiFrame().Add("Event", "Status").Add("Privilege", "Call")
            .AddChannel(channel)
            .Add("Type", "PJSIP").Add("DNID", channel.Exten)
            .Add("EffectiveConnectedLineNum", string.IsNullOrEmpty(channel.ConnectedNumber) ? "<unknown>" : channel.ConnectedNumber)
            .Add("EffectiveConnectedLineName", string.IsNullOrEmpty(channel.ConnectedName) ? "<unknown>" : channel.ConnectedName)
            .Add("TimeToHangup", "0").Add("BridgeID", "").Add("Application", channel.Application).Add("Data", channel.ApplicationData)
            .Add("Nativeformats", "(alaw)").Add("Readformat", "alaw").Add("Readtrans", "").Add("Writeformat", "slin")
            .Add("Writetrans", "(slin@8000)->(alaw@8000)").Add("Callgroup", "0").Add("Pickupgroup", "0")
            .Add("Seconds", (long)(now - channel.CreatedAt).TotalSeconds)
            .AddActionId(actionId)
            .Build());

    private static AmiFrame Aor(AmiFrame frame, AmiEndpointView endpoint, string contactKey, bool trailingComma, bool withContactsList = false)
    {
        var contact = endpoint.ContactUri is null ? "" : $"{endpoint.Name}/{endpoint.ContactUri}{(trailingComma ? "," : "")}";
        frame.Add("ObjectType", "aor").Add("ObjectName", endpoint.Name).Add("MinimumExpiration", "60").Add("DefaultExpiration", "3600")
            .Add("QualifyTimeout", "3.000000").Add("Qualify2xxOnly", "false").Add("Mailboxes", "").Add("SupportPath", "false")
            .Add("RemoveUnavailable", "false").Add("VoicemailExtension", "").Add("MaxContacts", endpoint.IsTrunk ? 0 : 1)
            .Add("AuthenticateQualify", "false").Add(contactKey, contact).Add("MaximumExpiration", "7200").Add("QualifyFrequency", "0")
            .Add("RemoveExisting", endpoint.IsTrunk ? "false" : "true").Add("OutboundProxy", "");
        if (withContactsList)
        {
            frame.Add("Contacts", endpoint.ContactUri is null ? "" : $"{endpoint.Name}/{endpoint.ContactUri},");
        }
        return frame;
    }

    private static (string Host, string Port) HostAndPort(string uri)
    {
        var hostPart = uri[(uri.IndexOf('@', StringComparison.Ordinal) + 1)..];
        if (hostPart.StartsWith("sip:", StringComparison.Ordinal))
        {
            hostPart = hostPart[4..];
        }
        var colon = hostPart.LastIndexOf(':');
        return colon < 0 ? (hostPart, "5060") : (hostPart[..colon], hostPart[(colon + 1)..]);
    }

    private static string Expiry(AmiEndpointView endpoint) =>
        ((endpoint.RegisteredAt ?? DateTimeOffset.UnixEpoch) + RegistrationLifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private static string CallId(AmiEndpointView endpoint) =>
        $"sim-{endpoint.Name}-{(endpoint.RegisteredAt ?? DateTimeOffset.UnixEpoch).ToUnixTimeMilliseconds()}@127.0.0.1";

    /// <summary>Asterisk names a contact <c>aor;@hash</c> with an MD5 of its URI; a stable hash of ours stands in.</summary>
    private static string ContactId(string aor, string uri)
    {
#pragma warning disable CA5351 // An identifier only, as in Asterisk; no security depends on it.
        return $"{aor};@{Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(uri)))}";
#pragma warning restore CA5351
    }
}
