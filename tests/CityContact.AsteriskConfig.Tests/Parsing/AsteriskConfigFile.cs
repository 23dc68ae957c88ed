namespace CityContact.AsteriskConfig.Tests.Parsing;

/// <summary>One "key = value" or "key => value" line of a section.</summary>
internal sealed record ConfigEntry(string Key, string Value, bool IsObjectAssignment, int Line);

/// <summary>
/// A "[name]" section. "[name](!)" is a template; "[name](a,b)" inherits the entries of
/// templates a and b first, then adds its own (Asterisk's config template rules).
/// </summary>
internal sealed class ConfigSection(string name, bool isTemplate, IReadOnlyList<string> templates, int line)
{
    public string Name { get; } = name;
    public bool IsTemplate { get; } = isTemplate;
    public IReadOnlyList<string> Templates { get; } = templates;
    public int Line { get; } = line;
    public List<ConfigEntry> OwnEntries { get; } = [];
}

/// <summary>
/// A small reader for Asterisk's .conf format: sections, templates, "=" and "=>"
/// assignments, ";" comments (with "\;" as a literal semicolon) and ";-- --;" block comments.
/// Anything else is a format error, so that a typo in a shipped file fails a test rather
/// than being skipped by Asterisk with a warning nobody reads.
/// </summary>
internal sealed class AsteriskConfigFile
{
    private AsteriskConfigFile(string fileName, IReadOnlyList<ConfigSection> sections)
    {
        FileName = fileName;
        Sections = sections;
    }

    public string FileName { get; }
    public IReadOnlyList<ConfigSection> Sections { get; }

    public static AsteriskConfigFile Load(string path) =>
        Parse(File.ReadAllText(path), Path.GetFileName(path));

    public static AsteriskConfigFile Parse(string text, string fileName)
    {
        var sections = new List<ConfigSection>();
        ConfigSection? current = null;
        var blockDepth = 0;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var line = StripComment(lines[i].TrimEnd('\r'), ref blockDepth).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                throw new FormatException($"{fileName}:{lineNumber}: directives such as '{line}' are not used by CityContact's config");
            }

            if (line.StartsWith('['))
            {
                current = ParseHeader(line, fileName, lineNumber);
                sections.Add(current);
                continue;
            }

            if (current is null)
            {
                throw new FormatException($"{fileName}:{lineNumber}: '{line}' is outside any section");
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"{fileName}:{lineNumber}: no '=' in '{line}'");
            }

            var isObject = equals + 1 < line.Length && line[equals + 1] == '>';
            var value = line[(equals + (isObject ? 2 : 1))..].Trim();
            current.OwnEntries.Add(new ConfigEntry(line[..equals].Trim(), value, isObject, lineNumber));
        }

        if (blockDepth > 0)
        {
            throw new FormatException($"{fileName}: a ';--' block comment is never closed");
        }

        return new AsteriskConfigFile(fileName, sections);
    }

    /// <summary>Sections with this name that are not templates (PJSIP reuses a name per object type).</summary>
    public IReadOnlyList<ConfigSection> Named(string name) =>
        Sections.Where(s => s.Name == name && !s.IsTemplate).ToList();

    /// <summary>The only non-template section with this name.</summary>
    public ConfigSection Single(string name)
    {
        var found = Named(name);
        return found.Count == 1
            ? found[0]
            : throw new InvalidOperationException($"{FileName}: expected one [{name}] section, found {found.Count}");
    }

    /// <summary>The section's entries after template inheritance, inherited ones first.</summary>
    public IReadOnlyList<ConfigEntry> EntriesOf(ConfigSection section)
    {
        var entries = new List<ConfigEntry>();
        AddWithTemplates(section, entries, depth: 0);
        return entries;
    }

    /// <summary>The last value of a key after template inheritance, or null if not set.</summary>
    public string? Value(ConfigSection section, string key) =>
        EntriesOf(section).LastOrDefault(e => e.Key == key)?.Value;

    public IReadOnlyList<string> Values(ConfigSection section, string key) =>
        EntriesOf(section).Where(e => e.Key == key).Select(e => e.Value).ToList();

    /// <summary>Non-template sections whose effective "type" is the given PJSIP/sorcery type.</summary>
    public IReadOnlyList<ConfigSection> OfType(string type) =>
        Sections.Where(s => !s.IsTemplate && Value(s, "type") == type).ToList();

    private void AddWithTemplates(ConfigSection section, List<ConfigEntry> entries, int depth)
    {
        if (depth > 16)
        {
            throw new FormatException($"{FileName}: template inheritance of [{section.Name}] loops");
        }

        foreach (var templateName in section.Templates)
        {
            // Asterisk inherits from the nearest section of that name defined earlier in the file.
            var template = Sections.TakeWhile(s => s != section).LastOrDefault(s => s.Name == templateName)
                ?? throw new FormatException($"{FileName}:{section.Line}: [{section.Name}] inherits from unknown or later template '{templateName}'");
            AddWithTemplates(template, entries, depth + 1);
        }

        entries.AddRange(section.OwnEntries);
    }

    private static ConfigSection ParseHeader(string line, string fileName, int lineNumber)
    {
        var close = line.IndexOf(']', StringComparison.Ordinal);
        if (close < 2)
        {
            throw new FormatException($"{fileName}:{lineNumber}: bad section header '{line}'");
        }

        var name = line[1..close];
        var rest = line[(close + 1)..].Trim();
        var isTemplate = false;
        var templates = new List<string>();
        if (rest.Length > 0)
        {
            if (!rest.StartsWith('(') || !rest.EndsWith(')'))
            {
                throw new FormatException($"{fileName}:{lineNumber}: bad section options '{rest}'");
            }

            foreach (var option in rest[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (option == "!")
                {
                    isTemplate = true;
                }
                else if (option == "+")
                {
                    throw new FormatException($"{fileName}:{lineNumber}: '(+)' appends to an earlier section; CityContact's config does not use it");
                }
                else
                {
                    templates.Add(option);
                }
            }
        }

        return new ConfigSection(name, isTemplate, templates, lineNumber);
    }

    /// <summary>
    /// Asterisk's comment rules (main/config.c): ";" ends the line, "\;" is a literal
    /// semicolon, ";--" opens a block comment unless a fourth "-" follows (so ";-----" rulers
    /// are line comments), "--;" closes it, and blocks nest.
    /// </summary>
    private static string StripComment(string line, ref int blockDepth)
    {
        var result = new System.Text.StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c != ';')
            {
                if (blockDepth == 0)
                {
                    result.Append(c);
                }

                continue;
            }

            if (blockDepth == 0 && i > 0 && line[i - 1] == '\\')
            {
                result.Length--;
                result.Append(';');
            }
            else if (i + 2 < line.Length && line[i + 1] == '-' && line[i + 2] == '-' && (i + 3 >= line.Length || line[i + 3] != '-'))
            {
                blockDepth++;
                i += 2;
            }
            else if (blockDepth > 0 && i >= 2 && line[i - 1] == '-' && line[i - 2] == '-')
            {
                blockDepth--;
            }
            else if (blockDepth == 0)
            {
                break;
            }
        }

        return result.ToString();
    }
}
