using System.Globalization;

namespace CityContact.Service.Infrastructure.Configuration;

/// <summary>The checks the options validators share; each error names its setting, as start-up prints it.</summary>
public static class SettingErrors
{
    /// <summary>Adds "<paramref name="setting"/> must be between <paramref name="min"/> and <paramref name="max"/>" when the value is outside.</summary>
    public static void RequireBetween(this List<string> errors, string setting, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{setting} must be between {min} and {max}"));
        }
    }
}
