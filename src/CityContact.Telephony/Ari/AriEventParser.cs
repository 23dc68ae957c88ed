using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CityContact.Telephony.Ari.Models;
using Microsoft.Extensions.Logging;

namespace CityContact.Telephony.Ari;

/// <summary>
/// Turns one WebSocket text frame into its typed record. The <c>type</c> discriminator is read straight
/// from the UTF-8 bytes, then the source-generated contract of that type deserializes the same bytes:
/// no intermediate string or DOM. Never throws: unknown types become <see cref="UnknownAriEvent"/>,
/// unknown fields are ignored, malformed frames yield null; each unknown type and field is logged once.
/// </summary>
public sealed class AriEventParser
{
    // A newer Asterisk adds a field to every event of a type, so checking one event in this many for
    // unknown fields finds it without paying for a second walk over every frame.
    private const int UnknownFieldSampling = 128;
    private const int MaxTypeNameLength = 64;

    private readonly ILogger _logger;
    private readonly Dictionary<string, KnownType>.AlternateLookup<ReadOnlySpan<char>> _types;
    private readonly ConcurrentDictionary<Type, Dictionary<string, JsonPropertyInfo>> _propertiesByType = new();
    private readonly ConcurrentDictionary<string, bool> _reported = new(StringComparer.Ordinal);

    public AriEventParser(ILogger<AriEventParser> logger)
    {
        _logger = logger;
        var types = new Dictionary<string, KnownType>(StringComparer.Ordinal);
        foreach (var (name, type) in AriMessageTypes.ByName)
        {
            types[name] = new KnownType(AriJsonContext.Default.GetTypeInfo(type)
                ?? throw new InvalidOperationException($"AriJsonContext lacks {type.Name}"));
        }
        _types = types.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The typed message, an <see cref="UnknownAriEvent"/>, or null when the frame is not a JSON object with a type.</summary>
    public AriMessage? Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var known = FindType(utf8, out var unknownName);
            if (known is null)
            {
                if (unknownName is null)
                {
                    _logger.LogWarning("ARI frame without a string 'type' skipped: {Frame}", Excerpt(utf8));
                    return null;
                }
                if (_reported.TryAdd("type:" + unknownName, true))
                {
                    _logger.LogWarning("ARI event type {EventType} is not in the Asterisk 22 schema; passed on as UnknownAriEvent (logged once)", unknownName);
                }
                return new UnknownAriEvent { Type = unknownName, RawJson = Encoding.UTF8.GetString(utf8) };
            }
            var message = (AriMessage?)JsonSerializer.Deserialize(utf8, known.Info);
            if (Interlocked.Increment(ref known.Parsed) % UnknownFieldSampling == 1)
            {
                ReportUnknownFields(utf8, known.Info);
            }
            return message;
        }
        // InvalidOperationException: a string that is not valid UTF-8 (the reader refuses to transcode it); found by fuzzing.
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            _logger.LogWarning("Malformed ARI frame skipped ({Error}): {Frame}", ex.Message, Excerpt(utf8));
            return null;
        }
    }

    private KnownType? FindType(ReadOnlySpan<byte> utf8, out string? unknownName)
    {
        unknownName = null;
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("the frame is not a JSON object");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (!isType)
            {
                reader.Skip();
                continue;
            }
            if (reader.TokenType != JsonTokenType.String)
            {
                return null;
            }
            if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length <= MaxTypeNameLength)
            {
                Span<char> name = stackalloc char[MaxTypeNameLength];
                var length = Encoding.UTF8.GetChars(reader.ValueSpan, name);
                if (_types.TryGetValue(name[..length], out var fast))
                {
                    return fast;
                }
            }
            var text = reader.GetString()!;
            if (_types.TryGetValue(text, out var known))
            {
                return known;
            }
            unknownName = text;
            return null;
        }
        return null;
    }

    private void ReportUnknownFields(ReadOnlySpan<byte> utf8, JsonTypeInfo info)
    {
        var reader = new Utf8JsonReader(utf8);
        reader.Read();
        WalkObject(ref reader, info);
    }

    // Reader is on StartObject; leaves it on the matching EndObject.
    private void WalkObject(ref Utf8JsonReader reader, JsonTypeInfo info)
    {
        var properties = _propertiesByType.GetOrAdd(info.Type, static (_, i) =>
            i.Properties.ToDictionary(p => p.Name, StringComparer.Ordinal), info);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (!properties.TryGetValue(name, out var property))
            {
                if (_reported.TryAdd($"field:{info.Type.Name}.{name}", true))
                {
                    _logger.LogInformation("ARI field {Field} of {ModelType} is not in the Asterisk 22 schema; ignored (logged once)", name, info.Type.Name);
                }
                reader.Skip();
                continue;
            }
            var nested = NestedContract(property.PropertyType);
            if (nested is not null && reader.TokenType == JsonTokenType.StartObject)
            {
                WalkObject(ref reader, nested);
            }
            else if (nested is not null && reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        WalkObject(ref reader, nested);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private static JsonTypeInfo? NestedContract(Type propertyType)
    {
        var type = propertyType.IsArray ? propertyType.GetElementType()! : propertyType;
        if (type.Namespace != typeof(AriMessage).Namespace)
        {
            return null;
        }
        var info = AriJsonContext.Default.GetTypeInfo(type);
        return info?.Kind == JsonTypeInfoKind.Object ? info : null;
    }

    private static string Excerpt(ReadOnlySpan<byte> utf8)
    {
        const int max = 200;
        var text = Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, max)]);
        return utf8.Length > max ? text + "…" : text;
    }

    private sealed class KnownType(JsonTypeInfo info)
    {
        public readonly JsonTypeInfo Info = info;
        public int Parsed;
    }
}
