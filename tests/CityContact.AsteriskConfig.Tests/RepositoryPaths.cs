namespace CityContact.AsteriskConfig.Tests;

/// <summary>Where the shipped files are, found from the test assembly's location.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();
    public static string ShippedConfig => Path.Combine(Root, "asterisk-config");
    public static string RenderScript => Path.Combine(Root, "scripts", "render-asterisk-config.sh");

    public static string Shipped(string fileName) => Path.Combine(ShippedConfig, fileName);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CityContact.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"CityContact.sln not found above {AppContext.BaseDirectory}");
    }
}
