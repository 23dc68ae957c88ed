using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CityContact.Service.Features.Voicemail;

/// <summary>
/// One message of Asterisk's fallback mailbox, read from its <c>msgNNNN.txt</c>. <see cref="Key"/> names it for good:
/// Asterisk's <c>msg_id</c> (the file name is reused once a message is moved away), or, for a file written without
/// one, a digest of the file.
/// </summary>
public sealed record FallbackMessage(
    string Key,
    string? CallerName,
    string? CallerNumber,
    DateTimeOffset LeftAt,
    int? DurationSeconds,
    string? Mailbox,
    string? Exten);

/// <summary>
/// Asterisk's message information file as app_voicemail's leave_voicemail writes it (Asterisk 22):
/// <code>
/// ;
/// ; Message Information file
/// ;
/// [message]
/// origmailbox=9999
/// context=citycontact-unavailable
/// exten=s
/// rdnis=unknown
/// priority=4
/// callerchan=PJSIP/trunk-00000002
/// callerid="Ion Popescu" &lt;0722123456&gt;
/// origdate=Tue Mar 11 08:15:02 PM UTC 2025
/// origtime=1741724102
/// category=
/// msg_id=1741724102-00000000
/// flag=
/// duration=12
/// </code>
/// The file is renamed into INBOX after the audio, so a readable file always has its recording next to it.
/// <c>origtime</c> (unix seconds) is required; everything else may be missing or empty.
/// </summary>
public static partial class FallbackMessageFile
{
    /// <summary>The parsed message; <see cref="FormatException"/> names what is wrong (never the caller's data).</summary>
    public static FallbackMessage Parse(string text)
    {
        var fields = ReadMessageSection(text) ?? throw new FormatException("no [message] section");
        if (!fields.TryGetValue("origtime", out var origTime) || origTime.Length == 0)
        {
            throw new FormatException("no origtime");
        }
        if (!long.TryParse(origTime, NumberStyles.None, CultureInfo.InvariantCulture, out var unixSeconds)
            || unixSeconds is <= 0 or > 253_402_300_799)
        {
            throw new FormatException("origtime is not a unix time");
        }
        int? duration = null;
        if (fields.TryGetValue("duration", out var durationText) && durationText.Length > 0)
        {
            duration = int.TryParse(durationText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? seconds
                : throw new FormatException("duration is not a number of seconds");
        }
        string key;
        if (fields.TryGetValue("msg_id", out var msgId) && msgId.Length > 0)
        {
            // The key names files and recordings: anything but Asterisk's "<time>-<counter>" shape is refused.
            key = MsgId().IsMatch(msgId) ? msgId : throw new FormatException("msg_id has unexpected characters");
        }
        else
        {
            key = "sha-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..20];
        }
        var (name, number) = ParseCallerId(fields.GetValueOrDefault("callerid"));
        return new FallbackMessage(key, name, number, DateTimeOffset.FromUnixTimeSeconds(unixSeconds), duration,
            NullIfEmpty(fields.GetValueOrDefault("origmailbox")), NullIfEmpty(fields.GetValueOrDefault("exten")));
    }

    /// <summary>
    /// Asterisk's ast_callerid_parse: <c>"Name" &lt;number&gt;</c>, <c>Name &lt;number&gt;</c>, a bare number, or a
    /// bare name. <c>Unknown</c> (what app_voicemail writes for a caller without caller id) is neither.
    /// </summary>
    public static (string? Name, string? Number) ParseCallerId(string? callerId)
    {
        var text = callerId?.Trim() ?? "";
        if (text.Length == 0 || text.Equals("Unknown", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }
        var open = text.LastIndexOf('<');
        if (open >= 0)
        {
            var close = text.IndexOf('>', open);
            var number = (close > open ? text[(open + 1)..close] : text[(open + 1)..]).Trim();
            return (NullIfEmpty(Unquote(text[..open].Trim())), NullIfEmpty(number));
        }
        if (text[0] != '"')
        {
            var shrunk = PhoneSeparators().Replace(text, "");
            if (PhoneNumber().IsMatch(shrunk))
            {
                return (null, shrunk);
            }
        }
        return (NullIfEmpty(Unquote(text)), null);
    }

    /// <summary>
    /// The key/value lines of the [message] section, as Asterisk's config reader takes them: <c>=</c> or <c>=&gt;</c>,
    /// blanks trimmed, <c>;</c> starts a comment unless escaped. Null when there is no such section.
    /// </summary>
    private static Dictionary<string, string>? ReadMessageSection(string text)
    {
        Dictionary<string, string>? fields = null;
        var inMessage = false;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = StripComment(rawLine).Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (line[0] == '[')
            {
                var end = line.IndexOf(']', StringComparison.Ordinal);
                inMessage = end > 0 && line[1..end].Trim() == "message";
                if (inMessage)
                {
                    fields ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                }
                continue;
            }
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (!inMessage || equals <= 0)
            {
                continue;
            }
            var value = line[(equals + 1)..];
            if (value.StartsWith('>'))
            {
                value = value[1..];
            }
            fields![line[..equals].Trim()] = value.Trim();
        }
        return fields;
    }

    private static string StripComment(string line)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == ';' && (i == 0 || line[i - 1] != '\\'))
            {
                return line[..i].Replace("\\;", ";", StringComparison.Ordinal);
            }
        }
        return line.Replace("\\;", ";", StringComparison.Ordinal);
    }

    /// <summary>Surrounding quotes go; ast_escape_quoted's backslashes before " and \ are undone.</summary>
    private static string Unquote(string text)
    {
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            text = text[1..^1];
        }
        return text.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal).Trim();
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex MsgId();

    /// <summary>ast_shrink_phone_number drops these before ast_isphonenumber looks at the rest.</summary>
    [GeneratedRegex(@"[\s().-]")]
    private static partial Regex PhoneSeparators();

    [GeneratedRegex(@"^\+?[0-9*#]+$")]
    private static partial Regex PhoneNumber();
}
