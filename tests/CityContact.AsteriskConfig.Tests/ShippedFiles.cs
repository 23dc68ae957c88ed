using CityContact.AsteriskConfig.Tests.Parsing;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>The shipped (unrendered) asterisk-config/ files.</summary>
internal static class ShippedFiles
{
    /// <summary>The service's default Ari:App (DEVELOPERS.md: Stasis app "citycontact").</summary>
    public const string DefaultAriApp = "citycontact";

    public static IReadOnlyList<string> Names { get; } =
        Directory.GetFiles(RepositoryPaths.ShippedConfig, "*.conf").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;

    public static AsteriskConfigFile Load(string fileName) => AsteriskConfigFile.Load(RepositoryPaths.Shipped(fileName));
}
