using System.Text.RegularExpressions;

namespace CityContact.Service.Features.Tickets;

/// <summary>Citizens' phone numbers: stored and compared in E.164, never logged in clear.</summary>
public static partial class PhoneNumbers
{
    /// <summary>
    /// E.164 (+ and 8–15 digits) from what people type: spaces, dots, dashes and brackets are dropped, 00 becomes +,
    /// and a national number with one leading 0 takes <paramref name="countryCode"/> (e.g. 40: 0722 123 456 → +40722123456).
    /// Null when it cannot be a phone number.
    /// </summary>
    public static string? ToE164(string? input, string countryCode)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return null;
        }
        var compact = Separators().Replace(input.Trim(), "");
        var e164 = compact switch
        {
            ['+', .. var rest] => "+" + rest,
            ['0', '0', .. var rest] => "+" + rest,
            ['0', .. var rest] => "+" + countryCode + rest,
            _ => "+" + compact,
        };
        return E164().IsMatch(e164) ? e164 : null;
    }

    /// <summary>Enough to tell numbers apart in a log (+4072*****56), not enough to call anyone.</summary>
    public static string Mask(string? number) => number switch
    {
        null or "" => "",
        { Length: <= 6 } => new string('*', number.Length),
        _ => number[..5] + new string('*', number.Length - 7) + number[^2..],
    };

    /// <summary>j***@example.org: the domain helps operations, the mailbox stays private.</summary>
    public static string MaskEmail(string? email) =>
        email is null || email.IndexOf('@', StringComparison.Ordinal) is var at && at < 1
            ? "***"
            : email[..1] + "***" + email[at..];

    [GeneratedRegex(@"[\s.\-()/]")]
    private static partial Regex Separators();

    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$")]
    private static partial Regex E164();
}
