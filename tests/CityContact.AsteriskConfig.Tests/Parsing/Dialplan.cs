using System.Text.RegularExpressions;

namespace CityContact.AsteriskConfig.Tests.Parsing;

/// <summary>One priority of an extension: "exten => 100,1,Dial(PJSIP/100)" or "same => n(label),App(args)".</summary>
internal sealed record DialplanStep(int Priority, string? Label, string Application, string Arguments, int Line);

/// <summary>The contexts, extensions and globals of an extensions.conf.</summary>
internal sealed partial class Dialplan
{
    private static readonly string[] NonContextSections = ["general", "globals"];

    private Dialplan(
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<DialplanStep>>> contexts,
        IReadOnlyDictionary<string, string> globals)
    {
        Contexts = contexts;
        Globals = globals;
    }

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<DialplanStep>>> Contexts { get; }
    public IReadOnlyDictionary<string, string> Globals { get; }

    public static Dialplan From(AsteriskConfigFile file)
    {
        var contexts = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<DialplanStep>>>();
        var globals = new Dictionary<string, string>();
        foreach (var section in file.Sections)
        {
            if (section.Name == "globals")
            {
                foreach (var entry in section.OwnEntries)
                {
                    globals[entry.Key] = entry.Value;
                }

                continue;
            }

            if (NonContextSections.Contains(section.Name))
            {
                continue;
            }

            contexts[section.Name] = ParseContext(file.FileName, section);
        }

        return new Dialplan(contexts, globals);
    }

    /// <summary>
    /// The extension a dialed string reaches in a context: an exact name first, then the one
    /// pattern that matches. Two matching patterns are reported, since Asterisk's choice
    /// between them is rarely what the author meant.
    /// </summary>
    public string? Match(string context, string dialed)
    {
        var extensions = Contexts[context];
        if (extensions.ContainsKey(dialed))
        {
            return dialed;
        }

        var matching = extensions.Keys.Where(name => name.StartsWith('_') && PatternMatches(name, dialed)).ToList();
        return matching.Count switch
        {
            0 => null,
            1 => matching[0],
            _ => throw new InvalidOperationException($"'{dialed}' matches several patterns in [{context}]: {string.Join(", ", matching)}"),
        };
    }

    /// <summary>A dialed string that the given extension (name or pattern) matches.</summary>
    public static string ExampleFor(string extension)
    {
        if (!extension.StartsWith('_'))
        {
            return extension;
        }

        var example = new System.Text.StringBuilder();
        for (var i = 1; i < extension.Length; i++)
        {
            var c = extension[i];
            switch (c)
            {
                case 'X' or 'Z' or 'N':
                    example.Append('5');
                    break;
                case '.':
                    example.Append("5550100");
                    break;
                case '!':
                    break;
                case '[':
                    example.Append(extension[i + 1]);
                    i = extension.IndexOf(']', i);
                    break;
                default:
                    example.Append(c);
                    break;
            }
        }

        return example.ToString();
    }

    public static bool PatternMatches(string pattern, string dialed) =>
        Regex.IsMatch(dialed, PatternToRegex(pattern), RegexOptions.None, TimeSpan.FromSeconds(1));

    private static string PatternToRegex(string pattern)
    {
        var regex = new System.Text.StringBuilder("^");
        for (var i = 1; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case 'X': regex.Append("[0-9]"); break;
                case 'Z': regex.Append("[1-9]"); break;
                case 'N': regex.Append("[2-9]"); break;
                case '.': regex.Append(".+"); break;
                case '!': regex.Append(".*"); break;
                case '[':
                    var close = pattern.IndexOf(']', i);
                    regex.Append('[').Append(pattern[(i + 1)..close].Replace("\\", "\\\\", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                default: regex.Append(Regex.Escape(c.ToString())); break;
            }
        }

        return regex.Append('$').ToString();
    }

    private static Dictionary<string, IReadOnlyList<DialplanStep>> ParseContext(string fileName, ConfigSection section)
    {
        var extensions = new Dictionary<string, List<DialplanStep>>();
        string? currentExtension = null;
        foreach (var entry in section.OwnEntries)
        {
            if (!entry.IsObjectAssignment || (entry.Key != "exten" && entry.Key != "same"))
            {
                throw new FormatException($"{fileName}:{entry.Line}: only 'exten =>' and 'same =>' are expected in [{section.Name}]");
            }

            var text = entry.Value;
            if (entry.Key == "exten")
            {
                var comma = text.IndexOf(',', StringComparison.Ordinal);
                currentExtension = text[..comma].Trim();
                text = text[(comma + 1)..];
            }
            else if (currentExtension is null)
            {
                throw new FormatException($"{fileName}:{entry.Line}: 'same =>' before any 'exten =>'");
            }

            var steps = extensions.TryGetValue(currentExtension, out var existing) ? existing : extensions[currentExtension] = [];
            steps.Add(ParseStep(fileName, entry.Line, text, steps.Count == 0 ? 0 : steps[^1].Priority));
        }

        return extensions.ToDictionary(e => e.Key, e => (IReadOnlyList<DialplanStep>)e.Value);
    }

    private static DialplanStep ParseStep(string fileName, int line, string text, int previousPriority)
    {
        var match = StepPattern().Match(text);
        if (!match.Success)
        {
            throw new FormatException($"{fileName}:{line}: cannot read dialplan step '{text}'");
        }

        var priorityText = match.Groups["priority"].Value;
        var priority = priorityText == "n" ? previousPriority + 1 : int.Parse(priorityText, System.Globalization.CultureInfo.InvariantCulture);
        if (priority != previousPriority + 1)
        {
            throw new FormatException($"{fileName}:{line}: priority {priority} does not follow {previousPriority}");
        }

        var label = match.Groups["label"].Success ? match.Groups["label"].Value : null;
        var arguments = match.Groups["args"].Success ? match.Groups["args"].Value : "";
        return new DialplanStep(priority, label, match.Groups["app"].Value, arguments, line);
    }

    [GeneratedRegex(@"^\s*(?<priority>\d+|n)(\((?<label>[A-Za-z0-9_-]+)\))?\s*,\s*(?<app>[A-Za-z]+)(\((?<args>.*)\))?\s*$")]
    private static partial Regex StepPattern();
}
