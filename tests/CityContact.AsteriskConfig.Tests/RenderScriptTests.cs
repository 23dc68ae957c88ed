using System.Diagnostics;
using System.Text.RegularExpressions;
using CityContact.AsteriskConfig.Tests.Parsing;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>scripts/render-asterisk-config.sh run as a process, the way an installer runs it.</summary>
public sealed partial class RenderScriptTests
{
    [Fact]
    public async Task Rendering_with_every_setting_writes_all_files_without_a_placeholder()
    {
        using var temp = new TemporaryDirectory();
        var target = temp.Combine("etc-asterisk");

        var result = await RenderScript.RunAsync(RenderScript.CompleteSettings(), ["--target", target]);

        Assert.Equal(0, result.ExitCode);
        var written = Directory.GetFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(ShippedFiles.Names, written);
        Assert.All(Directory.GetFiles(target), f => Assert.DoesNotContain("@@", File.ReadAllText(f), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ari_password_is_written_as_given_for_a_plain_compare()
    {
        using var temp = new TemporaryDirectory();
        var settings = RenderScript.CompleteSettings();
        var target = temp.Combine("etc-asterisk");

        await RenderScript.RunAsync(settings, ["--target", target]);

        var ari = AsteriskConfigFile.Load(Path.Combine(target, "ari.conf"));
        var user = Assert.Single(ari.OfType("user"));
        Assert.Equal("citycontact", user.Name);
        Assert.Equal("plain", ari.Value(user, "password_format"));
        Assert.Equal(settings["ARI_PASSWORD"], ari.Value(user, "password"));
    }

    [Fact]
    public async Task Secrets_land_in_the_files_verbatim_even_with_characters_special_to_sed()
    {
        using var temp = new TemporaryDirectory();
        var settings = RenderScript.CompleteSettings();
        settings["AMI_SECRET"] = @"a&b\c/d|e$HOME";
        var target = temp.Combine("etc-asterisk");

        await RenderScript.RunAsync(settings, ["--target", target]);

        var manager = AsteriskConfigFile.Load(Path.Combine(target, "manager.conf"));
        var account = manager.Single("citycontact");
        Assert.Equal(@"a&b\c/d|e$HOME", manager.Value(account, "secret"));
        var pjsip = AsteriskConfigFile.Load(Path.Combine(target, "pjsip.conf"));
        Assert.Equal("agent-102-pass", pjsip.Value(pjsip.OfType("auth").Single(a => a.Name == "102"), "password"));
        Assert.Equal("203.0.113.10", pjsip.Value(Assert.Single(pjsip.OfType("identify")), "match"));
    }

    [Fact]
    public async Task Secrets_are_never_printed()
    {
        using var temp = new TemporaryDirectory();
        var settings = RenderScript.CompleteSettings();

        var success = await RenderScript.RunAsync(settings, ["--target", temp.Combine("ok")]);
        settings["AMI_SECRET"] = "short;";
        var failure = await RenderScript.RunAsync(settings, ["--target", temp.Combine("refused")]);

        Assert.Equal(0, success.ExitCode);
        Assert.NotEqual(0, failure.ExitCode);
        foreach (var secret in RenderScript.CompleteSettings().Where(s => s.Key.EndsWith("PASSWORD", StringComparison.Ordinal) || s.Key.EndsWith("SECRET", StringComparison.Ordinal)).Select(s => s.Value).Append("short;"))
        {
            Assert.DoesNotContain(secret, success.Output + success.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, failure.Output + failure.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("AMI_SECRET")]
    [InlineData("ARI_PASSWORD")]
    [InlineData("TRUNK_IP")]
    [InlineData("AGENT_103_PASSWORD")]
    public async Task Missing_setting_fails_naming_it_and_writes_nothing(string name)
    {
        using var temp = new TemporaryDirectory();
        var settings = RenderScript.CompleteSettings();
        settings.Remove(name);
        var target = temp.Combine("etc-asterisk");

        var result = await RenderScript.RunAsync(settings, ["--target", target]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"missing required setting(s): {name}", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
    }

    [Theory]
    [InlineData("AMI_SECRET", "has;semicolon", "AMI_SECRET (no ';'")]
    [InlineData("AGENT_101_PASSWORD", "short", "AGENT_101_PASSWORD (8 characters or more)")]
    [InlineData("TRUNK_IP", "203.0.113.10,198.51.100.1", "TRUNK_IP (the provider's IPv4 address or host name)")]
    [InlineData("VOICEMAIL_PIN", "12ab", "VOICEMAIL_PIN (4 or more digits)")]
    [InlineData("ARI_USER", "city contact", "ARI_USER (letters, digits")]
    public async Task Value_asterisk_would_misread_is_refused_with_the_reason(string name, string value, string message)
    {
        using var temp = new TemporaryDirectory();
        var settings = RenderScript.CompleteSettings();
        settings[name] = value;
        var target = temp.Combine("etc-asterisk");

        var result = await RenderScript.RunAsync(settings, ["--target", target]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public async Task Settings_file_is_read_as_data_and_the_environment_overrides_it()
    {
        using var temp = new TemporaryDirectory();
        var marker = temp.Combine("executed");
        var settings = RenderScript.CompleteSettings();
        var envFile = temp.Combine("asterisk.env");
        await File.WriteAllTextAsync(envFile, $"# city settings\nAMI_SECRET=$(touch {marker})x\nTRUNK_IP=198.51.100.7\nARI_APP=townhall\n");
        settings.Remove("AMI_SECRET");
        settings.Remove("TRUNK_IP");
        settings["ARI_APP"] = "cityhall";
        var target = temp.Combine("etc-asterisk");

        var result = await RenderScript.RunAsync(settings, ["--env-file", envFile, "--target", target]);

        Assert.Equal(0, result.ExitCode);
        Assert.False(File.Exists(marker), "a value in the settings file was executed");
        var manager = AsteriskConfigFile.Load(Path.Combine(target, "manager.conf"));
        Assert.Equal($"$(touch {marker})x", manager.Value(manager.Single("citycontact"), "secret"));
        var plan = Dialplan.From(AsteriskConfigFile.Load(Path.Combine(target, "extensions.conf")));
        Assert.Equal("cityhall", plan.Globals["CITYCONTACT_APP"]);
        var pjsip = AsteriskConfigFile.Load(Path.Combine(target, "pjsip.conf"));
        Assert.Equal("198.51.100.7", pjsip.Value(Assert.Single(pjsip.OfType("identify")), "match"));
    }

    [Fact]
    public async Task A_new_agent_added_to_pjsip_conf_needs_its_own_password_setting()
    {
        using var temp = new TemporaryDirectory();
        var source = temp.Combine("source");
        Directory.CreateDirectory(source);
        foreach (var name in ShippedFiles.Names)
        {
            File.Copy(RepositoryPaths.Shipped(name), Path.Combine(source, name));
        }

        await File.AppendAllTextAsync(Path.Combine(source, "pjsip.conf"), "\n[105](agent-auth)\nusername = 105\npassword = @@AGENT_105_PASSWORD@@\n");

        var result = await RenderScript.RunAsync(RenderScript.CompleteSettings(), ["--source", source, "--target", temp.Combine("etc-asterisk")]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("missing required setting(s): AGENT_105_PASSWORD", result.Error, StringComparison.Ordinal);
    }
}
