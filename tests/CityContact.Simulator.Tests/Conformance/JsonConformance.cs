using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>A field that differs: its JSON path in the step's body ("$.channel.state") and what differs.</summary>
public sealed record Difference(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>
/// Structural comparison of an expected (recorded) JSON value with the simulator's: same keys with the same casing,
/// same JSON types, equal values, arrays of the same length in the same order — except where a <see cref="FieldRule"/>
/// says how a leaf is compared instead (ids through the <see cref="IdMap"/>, time stamps by format…).
/// </summary>
public sealed partial class JsonConformance(IdMap ids, IReadOnlyList<FieldRule> rules)
{
    public IReadOnlyList<Difference> Compare(JsonElement expected, JsonElement actual)
    {
        var differences = new List<Difference>();
        Compare(expected, actual, "$", "$", holder: expected, differences);
        return differences;
    }

    private void Compare(JsonElement expected, JsonElement actual, string path, string normalizedPath, JsonElement holder, List<Difference> differences)
    {
        if (expected.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
        {
            var rule = rules.FirstOrDefault(r => r.Matches(normalizedPath, holder));
            if (rule is not null)
            {
                CompareByRule(rule, expected, actual, path, differences);
                return;
            }
        }

        if (Kind(expected) != Kind(actual))
        {
            differences.Add(new(path, $"expected {Kind(expected)} {Show(expected)}, got {Kind(actual)} {Show(actual)}"));
            return;
        }

        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var actualNames = actual.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var property in expected.EnumerateObject())
                {
                    var childPath = $"{path}.{property.Name}";
                    if (!actual.TryGetProperty(property.Name, out var actualValue))
                    {
                        differences.Add(new(childPath, $"missing (expected {Show(property.Value)})"));
                        continue;
                    }
                    actualNames.Remove(property.Name);
                    Compare(property.Value, actualValue, childPath, $"{normalizedPath}.{property.Name}", expected, differences);
                }
                foreach (var extra in actualNames.Order(StringComparer.Ordinal))
                {
                    differences.Add(new($"{path}.{extra}", $"unexpected field (got {Show(actual.GetProperty(extra))})"));
                }
                break;

            case JsonValueKind.Array:
                var expectedItems = expected.EnumerateArray().ToList();
                var actualItems = actual.EnumerateArray().ToList();
                for (var i = 0; i < Math.Min(expectedItems.Count, actualItems.Count); i++)
                {
                    Compare(expectedItems[i], actualItems[i], $"{path}[{i}]", $"{normalizedPath}[]", expected, differences);
                }
                if (expectedItems.Count != actualItems.Count)
                {
                    differences.Add(new(path, $"expected {expectedItems.Count} items, got {actualItems.Count}: {Show(actual)}"));
                }
                break;

            case JsonValueKind.Number:
                if (expected.GetDecimal() != actual.GetDecimal())
                {
                    differences.Add(new(path, $"expected {Show(expected)}, got {Show(actual)}"));
                }
                break;

            case JsonValueKind.String:
                // Decoded: "\u002B" and "+" are the same string (System.Text.Json escapes what Asterisk sends plain).
                if (expected.GetString() != actual.GetString())
                {
                    differences.Add(new(path, $"expected {Show(expected)}, got {Show(actual)}"));
                }
                break;

            default:
                if (expected.GetRawText() != actual.GetRawText())
                {
                    differences.Add(new(path, $"expected {Show(expected)}, got {Show(actual)}"));
                }
                break;
        }
    }

    private void CompareByRule(FieldRule rule, JsonElement expected, JsonElement actual, string path, List<Difference> differences)
    {
        if (Kind(expected) != Kind(actual))
        {
            differences.Add(new(path, $"expected {Kind(expected)} {Show(expected)}, got {Kind(actual)} {Show(actual)}"));
            return;
        }
        if (expected.ValueKind != JsonValueKind.String)
        {
            if (rule.Check != FieldCheck.TypeOnly && expected.GetRawText() != actual.GetRawText())
            {
                differences.Add(new(path, $"expected {Show(expected)}, got {Show(actual)}"));
            }
            return;
        }

        var e = expected.GetString()!;
        var a = actual.GetString()!;
        var problem = rule.Check switch
        {
            FieldCheck.Id => ids.Bind(e, a),
            FieldCheck.UriWithId => CompareUriWithId(e, a),
            FieldCheck.ChannelName => CompareChannelName(e, a),
            FieldCheck.Timestamp => TimestampPattern().IsMatch(a) ? null : $"expected an Asterisk time stamp like \"{e}\", got \"{a}\"",
            FieldCheck.EntityId => EntityIdPattern().IsMatch(a) ? null : $"expected an entity id like \"{e}\", got \"{a}\"",
            FieldCheck.TypeOnly => null,
            FieldCheck.SipUriWithoutAddress => WithoutAddress(e) == WithoutAddress(a) ? null : $"expected \"{e}\" (address aside), got \"{a}\"",
            FieldCheck.RtpStatistics => RtpLayout(e) == RtpLayout(a) ? null : $"expected RTP statistics laid out as \"{RtpLayout(e)}\", got \"{a}\"",
            FieldCheck.OneOf => rule.Accepted!.Contains(a) ? null : $"expected one of {string.Join(", ", rule.Accepted!.Select(v => $"\"{v}\""))} ({rule.Reason}), got \"{a}\"",
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Check, null),
        };
        if (problem is not null)
        {
            differences.Add(new(path, problem));
        }
    }

    private string? CompareUriWithId(string expected, string actual)
    {
        var colon = expected.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return expected == actual ? null : $"expected \"{expected}\", got \"{actual}\"";
        }
        var scheme = expected[..(colon + 1)];
        return actual.StartsWith(scheme, StringComparison.Ordinal)
            ? ids.Bind(expected[(colon + 1)..], actual[(colon + 1)..])
            : $"expected \"{scheme}<id>\" like \"{expected}\", got \"{actual}\"";
    }

    private string? CompareChannelName(string expected, string actual)
    {
        var prefix = expected[..(expected.LastIndexOf('-') + 1)];
        return actual.StartsWith(prefix, StringComparison.Ordinal) && FieldRules.IsChannelName(actual)
            ? ids.Bind(expected, actual)
            : $"expected a channel name \"{prefix}<8 hex digits>\" like \"{expected}\", got \"{actual}\"";
    }

    private static string WithoutAddress(string sipUri) => AddressPattern().Replace(sipUri, "@…");

    // "ssrc=2052039544;themssrc=0;…" → "ssrc=;themssrc=;…", padding kept: the layout a parser of these values relies on.
    private static string RtpLayout(string statistics) => RtpValuePattern().Replace(statistics, "=");

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        var kind => kind.ToString().ToLowerInvariant(),
    };

    private static string Show(JsonElement element)
    {
        var text = JsonSerializer.Serialize(element); // compact, whatever the indentation of the fixture
        return text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")]
    private static partial Regex TimestampPattern();

    [GeneratedRegex("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")]
    private static partial Regex EntityIdPattern();

    [GeneratedRegex("@[^;>]*")]
    private static partial Regex AddressPattern();

    [GeneratedRegex("=[^;]*")]
    private static partial Regex RtpValuePattern();
}
