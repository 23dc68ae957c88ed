using System.Text.RegularExpressions;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>
/// The ids of one replay, transcript side ↔ simulator side (channel ids, bridge ids, playback ids, channel names).
/// An id is bound the first time it is compared; from then on the same transcript id must name the same simulator id
/// and vice versa, which is how "the channel from step 4" is checked to be the same channel later on.
/// Ids the client chose (bridgeId=cc-err-bridge, a recording name) bind to themselves.
/// </summary>
public sealed class IdMap
{
    private readonly Dictionary<string, string> _toActual = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _toExpected = new(StringComparer.Ordinal);

    /// <summary>Binds <paramref name="expected"/> to <paramref name="actual"/>; returns why not when either is already bound elsewhere.</summary>
    public string? Bind(string expected, string actual)
    {
        if (_toActual.TryGetValue(expected, out var known))
        {
            return known == actual ? null : $"transcript id \"{expected}\" was \"{known}\" in the simulator earlier, now \"{actual}\"";
        }
        if (_toExpected.TryGetValue(actual, out var other))
        {
            return $"simulator id \"{actual}\" already stands for transcript id \"{other}\", now for \"{expected}\"";
        }
        _toActual[expected] = actual;
        _toExpected[actual] = expected;
        return null;
    }

    public bool TryGetActual(string expected, out string actual) => _toActual.TryGetValue(expected, out actual!);

    /// <summary>Rewrites a recorded path or query string with the simulator's ids (plain and percent-encoded forms).</summary>
    public string Substitute(string text)
    {
        // Longest first, so that "1795354233.18" is not rewritten through "1795354233.1".
        foreach (var (expected, actual) in _toActual.Where(p => p.Key != p.Value).OrderByDescending(p => p.Key.Length))
        {
            text = ReplaceWhole(text, expected, actual);
            var encoded = Uri.EscapeDataString(expected);
            if (encoded != expected)
            {
                text = ReplaceWhole(text, encoded, Uri.EscapeDataString(actual));
            }
        }
        return text;
    }

    // An id is delimited by characters that cannot be part of it ('/', '&', '=', ',', start or end of text) or by a
    // percent escape ("%2C" between the ids of addChannel?channel=a%2Cb).
    private static string ReplaceWhole(string text, string find, string replacement) =>
        Regex.Replace(text, $"(?:(?<=%[0-9A-Fa-f]{{2}})|(?<![A-Za-z0-9._-])){Regex.Escape(find)}(?![A-Za-z0-9._-])", replacement.Replace("$", "$$", StringComparison.Ordinal));
}
