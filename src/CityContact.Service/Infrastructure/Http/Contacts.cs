using System.Text.RegularExpressions;

namespace CityContact.Service.Infrastructure.Http;

/// <summary>The one e-mail rule of the API: a bare address (no display name), a dot in the domain, at most 254 characters.</summary>
public static partial class Contacts
{
    public static bool IsEmail(string? value) =>
        value is { Length: > 0 and <= 254 }
        && BareAddress().IsMatch(value)
        && System.Net.Mail.MailAddress.TryCreate(value, out var parsed) && parsed.Address == value;

    [GeneratedRegex(@"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")]
    private static partial Regex BareAddress();
}
