using CityContact.Telephony.Ami;

namespace CityContact.Simulator.Tests.Ami;

/// <summary>
/// Compares a simulator frame with Asterisk's: the same keys in the same order and the same values, except the values
/// listed here, which differ from run to run (ids, clocks, addresses) or which the simulator cannot know (SIP details).
/// </summary>
public static class AmiFrameComparer
{
    /// <summary>Events that come from modules the simulator does not model (cel_manager, cdr_manager): not compared.</summary>
    public static readonly IReadOnlySet<string> UnmodelledEvents = new HashSet<string>(StringComparer.Ordinal) { "CEL", "Cdr" };

    private static readonly Dictionary<string, string> RunDependent = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Uniqueid"] = "channel id (a per-run clock and counter)",
        ["Linkedid"] = "channel id",
        ["DestUniqueid"] = "channel id",
        ["DestLinkedid"] = "channel id",
        ["Timestamp"] = "Ping's clock",
        ["EventTV"] = "clock",
        ["SessionTV"] = "clock",
        ["SessionID"] = "AMI session pointer / SIP Call-ID",
        ["LocalAddress"] = "the listener's port",
        ["RemoteAddress"] = "the client's port",
        ["Uptime"] = "time since start",
        ["LastReload"] = "time since start",
        ["RegExpire"] = "registration clock",
        ["ExpirationTime"] = "registration clock",
        ["CallID"] = "SIP Call-ID",
        ["Duration"] = "call age",
        ["Seconds"] = "call age",
        ["UserAgent"] = "the SIP phone's User-Agent (SIPp in the lab)",
        ["Callerid"] = "the lab's pjsip.conf callerid (\"Agent One\")",
    };

    /// <summary>Null when equal, else the first difference, naming the key.</summary>
    public static string? Difference(AmiMessage expected, AmiMessage actual)
    {
        var expectedKeys = expected.Fields.Select(f => f.Key).ToList();
        var actualKeys = actual.Fields.Select(f => f.Key).ToList();
        if (!expectedKeys.SequenceEqual(actualKeys, StringComparer.Ordinal))
        {
            var at = expectedKeys.Zip(actualKeys).TakeWhile(p => p.First == p.Second).Count();
            return $"keys differ at position {at}: expected [{string.Join(", ", expectedKeys.Skip(at).Take(3))}…], got [{string.Join(", ", actualKeys.Skip(at).Take(3))}…]";
        }

        for (var i = 0; i < expected.Fields.Count; i++)
        {
            var (key, want) = (expected.Fields[i].Key, expected.Fields[i].Value);
            var got = actual.Fields[i].Value;
            if (RunDependent.ContainsKey(key) || IsRunDependent(expected, key) || want == got)
            {
                continue;
            }
            if (IsChannelName(key) && ChannelPrefix(want) == ChannelPrefix(got))
            {
                continue;
            }
            return $"key {key}: expected '{want}', got '{got}'";
        }
        return null;
    }

    private static bool IsRunDependent(AmiMessage expected, string key) =>
        // RTP statistics carry a random SSRC and packet counts.
        (key == "Value" && expected["Variable"]?.StartsWith("RTPAUDIOQOS", StringComparison.Ordinal) == true)
        // A contact's id is the AOR plus a hash Asterisk computes from SIP details.
        || ((key is "ObjectName" or "ID") && (expected["ObjectType"] == "contact" || expected.EventName == "ContactStatusDetail"))
        // A registration's SIP Call-ID.
        || (key == "CallId" && expected.EventName == "ContactList");

    private static bool IsChannelName(string key) => key is "Channel" or "DestChannel";

    /// <summary>"PJSIP/trunk-00000013" → "PJSIP/trunk-": the counter differs per run.</summary>
    private static string ChannelPrefix(string name) => name.LastIndexOf('-') is var dash and > 0 ? name[..(dash + 1)] : name;
}
