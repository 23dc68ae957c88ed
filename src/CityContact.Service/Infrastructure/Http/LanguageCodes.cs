using System.Globalization;

namespace CityContact.Service.Infrastructure.Http;

/// <summary>ISO 639 language codes the platform's ICU knows ('ro', 'en', 'hu'…); 'xx' is not one.</summary>
public static class LanguageCodes
{
    private static readonly HashSet<string> Known = BuildKnown();

    /// <summary>'ro' or 'ro-RO' style: a known language, optionally with a region.</summary>
    public static bool IsKnown(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return false;
        }
        var language = code.Split('-', 2)[0];
        return Known.Contains(language);
    }

    private static HashSet<string> BuildKnown()
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var culture in CultureInfo.GetCultures(CultureTypes.NeutralCultures))
        {
            if (culture.TwoLetterISOLanguageName is { Length: 2 } two && two != "iv")
            {
                known.Add(two);
            }
            if (culture.Name is { Length: 3 } three && three.All(char.IsAsciiLetterLower))
            {
                known.Add(three);
            }
        }
        return known;
    }
}
