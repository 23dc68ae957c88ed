using System.Text.RegularExpressions;
using PhoneNumbers;

namespace CityContact.Service.Features.Tickets;

/// <summary>Citizens' phone numbers: stored and compared in E.164, never logged in clear.</summary>
public static partial class PhoneNumbers
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>
    /// E.164 from what people type (spaces, dots, dashes, brackets, 00 or + for international, a national number with
    /// its trunk 0), parsed and checked by libphonenumber against the numbering plan of the number's country:
    /// <c>722123456</c> is not read as country code 7, and too short or too long numbers are refused rather than
    /// trimmed or padded. National numbers take the country of <paramref name="countryCode"/> (40: Romania).
    /// Null when it is not a valid phone number.
    /// </summary>
    public static string? ToE164(string? input, string countryCode)
    {
        if (string.IsNullOrWhiteSpace(input) || input.Length > 40)
        {
            return null;
        }
        var compact = Separators().Replace(input.Trim(), "");
        if (compact.StartsWith("00", StringComparison.Ordinal))
        {
            compact = "+" + compact[2..];
        }
        if (!AllowedCharacters().IsMatch(compact))
        {
            return null;
        }
        var region = int.TryParse(countryCode, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? Util.GetRegionCodeForCountryCode(code)
            : "ZZ";
        try
        {
            var number = Util.Parse(compact, region);
            return Util.IsValidNumber(number) ? Util.Format(number, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
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

    [GeneratedRegex(@"^\+?[0-9]{2,17}$")]
    private static partial Regex AllowedCharacters();
}
