using CityContact.AsteriskConfig.Tests.Parsing;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>ARI, AMI and HTTP must be reachable from the host itself and from nowhere else.</summary>
public sealed class NetworkExposureTests
{
    [Fact]
    public void Http_server_carrying_ari_listens_on_loopback_port_8088()
    {
        var http = ShippedFiles.Load("http.conf");
        var general = http.Single("general");

        Assert.Equal("yes", http.Value(general, "enabled"));
        Assert.Equal("127.0.0.1", http.Value(general, "bindaddr"));
        Assert.Equal("8088", http.Value(general, "bindport"));
        Assert.Null(http.Value(general, "tlsbindaddr"));
    }

    [Fact]
    public void Manager_interface_listens_on_loopback_port_5038_and_not_over_http()
    {
        var manager = ShippedFiles.Load("manager.conf");
        var general = manager.Single("general");

        Assert.Equal("yes", manager.Value(general, "enabled"));
        Assert.Equal("127.0.0.1", manager.Value(general, "bindaddr"));
        Assert.Equal("5038", manager.Value(general, "port"));
        Assert.Equal("no", manager.Value(general, "webenabled"));
    }

    [Fact]
    public void Every_manager_and_ari_account_is_refused_from_anywhere_but_loopback()
    {
        var manager = ShippedFiles.Load("manager.conf");
        var ari = ShippedFiles.Load("ari.conf");
        var accounts = manager.Sections.Where(s => s.Name != "general").Select(s => (File: manager, Section: s))
            .Concat(ari.OfType("user").Select(s => (File: ari, Section: s)))
            .ToList();

        Assert.NotEmpty(accounts);
        foreach (var (file, section) in accounts)
        {
            Assert.Equal(["0.0.0.0/0.0.0.0"], file.Values(section, "deny"));
            Assert.Equal(["127.0.0.1/255.255.255.255"], file.Values(section, "permit"));
        }
    }

    [Fact]
    public void Ari_sends_compact_json_and_tolerates_event_bursts()
    {
        var ari = ShippedFiles.Load("ari.conf");
        var general = ari.Single("general");

        Assert.Equal("yes", ari.Value(general, "enabled"));
        Assert.Equal("no", ari.Value(general, "pretty"));
        var writeTimeout = int.Parse(ari.Value(general, "websocket_write_timeout")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(writeTimeout, 1000, 5000);
    }

    [Fact]
    public void Manager_account_has_only_the_classes_the_service_uses()
    {
        var manager = ShippedFiles.Load("manager.conf");
        var account = Assert.Single(manager.Sections, s => s.Name != "general");

        static string[] Classes(string? value) =>
            (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();

        // read: ContactStatus/FullyBooted/Shutdown (system), DeviceStateChange/Hangup (call), replies (reporting).
        Assert.Equal(["call", "reporting", "system"], Classes(manager.Value(account, "read")));
        // write: PJSIPShow*/Reload (system), CoreShowChannels/Status (reporting). No originate, command or config.
        Assert.Equal(["reporting", "system"], Classes(manager.Value(account, "write")));
    }
}
