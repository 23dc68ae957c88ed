using System.Diagnostics;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>Vagrant cannot run here; the scripts it runs must at least parse, and agree with the config.</summary>
public sealed class ProvisioningScriptTests
{
    public static TheoryData<string> Scripts() => new(
        Path.Combine("scripts", "render-asterisk-config.sh"),
        Path.Combine("scripts", "vagrant", "provision.sh"));

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Script_is_valid_bash(string relativePath)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, relativePath));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, error);
    }

    [Fact]
    public void Service_unit_points_at_the_ports_and_app_the_config_uses()
    {
        var provision = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "scripts", "vagrant", "provision.sh"));
        var http = ShippedFiles.Load("http.conf");
        var manager = ShippedFiles.Load("manager.conf");

        var ariPort = http.Value(http.Single("general"), "bindport");
        var amiPort = manager.Value(manager.Single("general"), "port");
        Assert.Contains($"Environment=Ari__Url=http://127.0.0.1:{ariPort}/", provision, StringComparison.Ordinal);
        Assert.Contains($"Environment=Ami__Port={amiPort}", provision, StringComparison.Ordinal);
        Assert.Contains($"Environment=Ari__App={ShippedFiles.DefaultAriApp}", provision, StringComparison.Ordinal);
        // Asterisk's sample configs would load chan_pjsip demo endpoints and open ARI/AMI defaults.
        Assert.DoesNotMatch(@"(?m)^\s*make\s+(samples|basic-pbx)\b", provision);
    }
}
