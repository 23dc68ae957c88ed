using System.Collections.Concurrent;
using CityContact.Service.Infrastructure.Configuration;

namespace CityContact.Service.Features.Prompts;

public sealed class PromptOptions
{
    public const string Section = "Prompts";

    /// <summary>
    /// The directory Asterisk reads sounds from (its astdatadir/sounds); prompts live in <c>citycontact/&lt;lang&gt;/&lt;key&gt;.wav</c> below it.
    /// Empty: the <c>sounds</c> folder shipped with the product, found above the service's binaries.
    /// </summary>
    public string? SoundsDirectory { get; set; }

    /// <summary>Largest upload accepted.</summary>
    public long MaxUploadBytes { get; set; } = 10 * 1024 * 1024;

    public string ResolveSoundsDirectory()
    {
        if (!string.IsNullOrWhiteSpace(SoundsDirectory))
        {
            return Path.GetFullPath(SoundsDirectory);
        }
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "sounds");
            if (Directory.Exists(Path.Combine(candidate, "citycontact")))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("Prompts:SoundsDirectory is not set and no sounds/citycontact folder was found above the service");
    }
}

internal sealed class PromptOptionsValidator : IValidateOptions<PromptOptions>
{
    public ValidateOptionsResult Validate(string? name, PromptOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.SoundsDirectory) && !Directory.Exists(options.SoundsDirectory))
        {
            errors.Add($"Prompts:SoundsDirectory '{options.SoundsDirectory}' does not exist");
        }
        if (options.MaxUploadBytes is < 1024 or > 100 * 1024 * 1024)
        {
            errors.Add("Prompts:MaxUploadBytes must be between 1024 and 104857600");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Which prompts exist, from the files in the sounds directory (the directory is what Asterisk plays, so it is the
/// truth), and how a key resolves to a sound URI in a language with a fallback to the city's default language.
/// </summary>
public sealed class PromptCatalog
{
    public const string Folder = "citycontact";

    private readonly ConcurrentDictionary<(string Key, string Language), bool> _known = new();
    private readonly string _fallbackLanguage;

    public PromptCatalog(IOptions<PromptOptions> options, IOptions<CityOptions> city)
    {
        SoundsDirectory = options.Value.ResolveSoundsDirectory();
        _fallbackLanguage = city.Value.DefaultLanguage;
        Rescan();
    }

    public string SoundsDirectory { get; }

    public string FallbackLanguage => _fallbackLanguage;

    public bool Exists(string key, string language) => _known.ContainsKey((key, language));

    /// <summary>The sound URI to play: the key in the caller's language, else in the fallback language, else as asked (Asterisk then reports it missing).</summary>
    public string Resolve(string key, string language)
    {
        var chosen = Exists(key, language) || !Exists(key, _fallbackLanguage) ? language : _fallbackLanguage;
        return $"sound:{Folder}/{chosen}/{key}";
    }

    public string PathOf(string key, string language) => Path.Combine(SoundsDirectory, Folder, language, key + ".wav");

    public void Added(string key, string language) => _known[(key, language)] = true;

    public void Removed(string key, string language) => _known.TryRemove((key, language), out _);

    public IReadOnlyList<(string Key, string Language)> All => [.. _known.Keys.Order()];

    public void Rescan()
    {
        var root = Path.Combine(SoundsDirectory, Folder);
        _known.Clear();
        if (!Directory.Exists(root))
        {
            return;
        }
        foreach (var languageDirectory in Directory.EnumerateDirectories(root))
        {
            var language = Path.GetFileName(languageDirectory);
            foreach (var file in Directory.EnumerateFiles(languageDirectory, "*.wav"))
            {
                _known[(Path.GetFileNameWithoutExtension(file), language)] = true;
            }
        }
    }
}
