using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CityContact.Telephony.Ari.Models;

/// <summary>
/// Asterisk writes dates as <c>2026-11-22T10:15:30.123+0000</c>: an offset without a colon,
/// which System.Text.Json's ISO parser refuses. Reads both forms, writes Asterisk's.
/// </summary>
public sealed class AriDateConverter : JsonConverter<DateTimeOffset>
{

    // "zzz" accepts both "+0000" and "+00:00"; "FFFFFFF" takes Asterisk's milliseconds or none.
    private const string AsteriskFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz";
    private const int MaxStackLength = 64;

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // Every event carries one or two dates: parse them from the UTF-8 bytes on the stack instead of
        // allocating a string (and a patched copy) per date.
        if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length <= MaxStackLength)
        {
            Span<char> text = stackalloc char[MaxStackLength];
            var length = System.Text.Encoding.UTF8.GetChars(reader.ValueSpan, text);
            if (DateTimeOffset.TryParseExact(text[..length], AsteriskFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            {
                return value;
            }
        }
        var fallback = reader.GetString() ?? throw new JsonException("ARI date is null");
        return Parse(fallback);
    }

    public static DateTimeOffset Parse(string text)
    {
        // "+0000" → "+00:00" so that one round-trip format covers Asterisk and ISO 8601.
        if (text.Length > 5 && (text[^5] == '+' || text[^5] == '-') && char.IsAsciiDigit(text[^1]))
        {
            text = string.Concat(text.AsSpan(0, text.Length - 2), ":", text.AsSpan(text.Length - 2));
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            return value;
        }
        throw new JsonException($"ARI date '{text}' is not in a known format");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        var offset = value.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        writer.WriteStringValue(string.Create(CultureInfo.InvariantCulture,
            $"{value:yyyy-MM-dd'T'HH:mm:ss.fff}{sign}{abs.Hours:00}{abs.Minutes:00}"));
    }
}
