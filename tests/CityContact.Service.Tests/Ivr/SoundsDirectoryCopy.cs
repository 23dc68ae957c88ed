using CityContact.Service.Features.Prompts;

namespace CityContact.Service.Tests.Ivr;

/// <summary>A copy of the shipped sounds/ for one test, which may add, replace or remove prompts; deleted afterwards.</summary>
internal sealed class SoundsDirectoryCopy : IDisposable
{
    public SoundsDirectoryCopy()
    {
        var shipped = Path.Combine(FindShipped(), PromptCatalog.Folder);
        foreach (var file in Directory.EnumerateFiles(shipped, "*.wav", SearchOption.AllDirectories))
        {
            var target = Path.Combine(Root, PromptCatalog.Folder, Path.GetRelativePath(shipped, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "citycontact-sounds-" + Guid.NewGuid().ToString("N"));

    public string PathOf(string language, string key) => Path.Combine(Root, PromptCatalog.Folder, language, key + ".wav");

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static string FindShipped()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, "sounds", PromptCatalog.Folder)))
            {
                return Path.Combine(directory.FullName, "sounds");
            }
        }
        throw new InvalidOperationException("no sounds/citycontact above the test binaries");
    }
}
