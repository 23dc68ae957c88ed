using System.Text.RegularExpressions;
using CityContact.Service.Tests.Infrastructure;

namespace CityContact.Service.Tests.Prompts;

/// <summary>
/// Every prompt the service plays by its own name is shipped in every language of the default flow. A missing file is
/// silence on a real Asterisk ("Unable to open citycontact/en/queue-wait-minutes"): a waiting caller heard bare numbers.
/// </summary>
public sealed partial class ShippedPromptsTests
{
    /// <summary>Keys in the service's code: in prompt lists (<c>PlayAsync(["…"]</c>, <c>Prompts = ["…"]</c>), resolved by name, or chosen in a switch.</summary>
    private static SortedSet<string> KeysPlayedByCode()
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(PostgresServer.RepositoryRoot(), "src", "CityContact.Service"), "*.cs", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file);
            foreach (Match list in PromptList().Matches(text))
            {
                keys.UnionWith(Key().Matches(list.Value).Select(m => m.Groups[1].Value));
            }
            keys.UnionWith(Resolved().Matches(text).Select(m => m.Groups[1].Value));
            keys.UnionWith(AgentPrompt().Matches(text).Select(m => m.Groups[1].Value));
        }
        return keys;
    }

    [Theory]
    [InlineData("en")]
    [InlineData("ro")]
    public void Every_prompt_the_service_plays_by_name_is_shipped(string language)
    {
        var keys = KeysPlayedByCode();
        var directory = Path.Combine(PostgresServer.RepositoryRoot(), "sounds", "citycontact", language);

        Assert.Contains("queue-wait-minutes", keys);
        Assert.Contains("agent-paused", keys);
        var missing = keys.Where(k => !File.Exists(Path.Combine(directory, k + ".wav"))).ToList();
        Assert.True(missing.Count == 0, $"not shipped in {language}: {string.Join(", ", missing)}");
    }

    [GeneratedRegex(@"(?:PlayAsync\(|Prompts = )\[[^\]]*\]")]
    private static partial Regex PromptList();

    [GeneratedRegex("\"([a-z][a-z0-9_-]*)\"")]
    private static partial Regex Key();

    [GeneratedRegex("Resolve\\(\"([a-z][a-z0-9_-]*)\"")]
    private static partial Regex Resolved();

    [GeneratedRegex("=> \"(agent-[a-z-]+)\"")]
    private static partial Regex AgentPrompt();
}
