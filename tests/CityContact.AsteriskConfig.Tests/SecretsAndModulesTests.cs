using System.Text.RegularExpressions;
using CityContact.AsteriskConfig.Tests.Parsing;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>What a city must be able to rely on before it renders anything.</summary>
public sealed partial class SecretsAndModulesTests
{
    private static readonly string[] SecretKeys = ["password", "secret", "password_digest", "md5_cred"];

    public static TheoryData<string> ShippedFileNames() => new(ShippedFiles.Names);

    [Theory]
    [MemberData(nameof(ShippedFileNames))]
    public void Shipped_file_parses_and_every_template_it_inherits_exists(string fileName)
    {
        var file = ShippedFiles.Load(fileName);

        Assert.NotEmpty(file.Sections);
        Assert.All(file.Sections.Where(s => !s.IsTemplate), s => Assert.NotNull(file.EntriesOf(s)));
    }

    [Theory]
    [MemberData(nameof(ShippedFileNames))]
    public void No_shipped_secret_is_a_real_value(string fileName)
    {
        var file = ShippedFiles.Load(fileName);
        var secrets = file.Sections.SelectMany(s => s.OwnEntries).Where(e => SecretKeys.Contains(e.Key)).ToList();

        Assert.All(secrets, e => Assert.Matches(Placeholder(), e.Value));
    }

    [Fact]
    public void Fallback_mailbox_pin_is_a_placeholder()
    {
        var voicemail = ShippedFiles.Load("voicemail.conf");
        var mailboxes = voicemail.Sections.Where(s => s.Name is not ("general" or "zonemessages")).SelectMany(s => s.OwnEntries).ToList();

        Assert.NotEmpty(mailboxes);
        Assert.All(mailboxes, m => Assert.Matches(Placeholder(), m.Value.Split(',')[0]));
    }

    [Fact]
    public void Chan_sip_is_never_loaded()
    {
        var modules = ShippedFiles.Load("modules.conf").Single("modules").OwnEntries;

        Assert.Contains(modules, e => e is { Key: "noload", Value: "chan_sip.so" });
        Assert.DoesNotContain(modules, e => e.Key is "load" or "require" or "preload" or "preload-require" && e.Value.StartsWith("chan_sip", StringComparison.Ordinal));
    }

    [Fact]
    public void Modules_citycontact_depends_on_are_required_and_none_is_also_excluded()
    {
        var modules = ShippedFiles.Load("modules.conf").Single("modules").OwnEntries;
        var required = modules.Where(e => e.Key == "require").Select(e => e.Value).ToHashSet();
        var excluded = modules.Where(e => e.Key == "noload").Select(e => e.Value).ToHashSet();

        string[] essential = ["res_pjsip.so", "chan_pjsip.so", "res_ari.so", "res_stasis.so", "app_stasis.so", "res_http_websocket.so", "app_voicemail.so", "res_musiconhold.so"];
        Assert.All(essential, module => Assert.Contains(module, required));
        // Asterisk refuses to start when a module is both required and excluded.
        Assert.Empty(required.Intersect(excluded));
        Assert.Contains(modules, e => e is { Key: "autoload", Value: "yes" });
    }

    [Fact]
    public void Every_placeholder_in_the_shipped_files_is_one_the_render_script_documents()
    {
        var script = File.ReadAllText(RepositoryPaths.RenderScript);
        var placeholders = ShippedFiles.Names
            .SelectMany(n => Placeholder().Matches(File.ReadAllText(RepositoryPaths.Shipped(n))).Select(m => m.Groups[1].Value))
            .Distinct()
            .Where(n => !AgentPassword().IsMatch(n));

        Assert.All(placeholders, name => Assert.Contains(name, script, StringComparison.Ordinal));
    }

    [GeneratedRegex("@@([A-Z0-9_]+)@@")]
    private static partial Regex Placeholder();

    [GeneratedRegex("^AGENT_[0-9]+_PASSWORD$")]
    private static partial Regex AgentPassword();
}
