using System.Text.RegularExpressions;
using CityContact.RealAsterisk.Tests.Harness;

namespace CityContact.RealAsterisk.Tests;

/// <summary>The shipped asterisk-config/ as Asterisk 22 itself reads it.</summary>
[Collection(RealAsteriskCollection.Name)]
public sealed partial class ShippedConfigTests(AsteriskFixture fixture)
{
    /// <summary>Asterisk's source files that read one of the shipped files (a line of theirs is about our configuration).</summary>
    private static readonly string[] ModulesReadingShippedFiles =
    [
        "app_voicemail.c", "res_pjsip", "chan_pjsip.c", "pbx_config.c", "res_ari", "ari/", "manager.c", "http.c", "res_musiconhold.c",
        "res_rtp_asterisk.c", "rtp_engine.c", "logger.c", "cdr.c", "cel.c", "ccss.c", "indications.c", "asterisk.c", "options.c",
    ];

    /// <summary>
    /// Every WARNING or ERROR at boot that names one of the shipped files or comes from a module that reads one. Lines about
    /// files the city does not ship (statsd.conf, confbridge.conf… read by modules modules.conf autoloads) are not ours.
    /// </summary>
    [RealAsteriskFact]
    public void Asterisk_loads_the_shipped_files_without_a_warning_or_error()
    {
        var shipped = Directory.GetFiles(Path.Combine(CityContact.Service.Tests.Infrastructure.PostgresServer.RepositoryRoot(), "asterisk-config"), "*.conf")
            .Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);

        var problems = Problem().Matches(fixture.Asterisk.BootLog)
            .Where(m =>
            {
                var named = ConfFile().Matches(m.Value).Select(f => f.Value).ToList();
                return named.Any(shipped.Contains)
                    || (named.Count == 0 && ModulesReadingShippedFiles.Any(module => m.Groups["source"].Value.StartsWith(module, StringComparison.Ordinal)));
            })
            .Select(m => m.Value.Trim())
            .ToList();

        Assert.True(problems.Count == 0, "messages.log at boot:\n" + string.Join('\n', problems));
    }

    [RealAsteriskFact]
    public async Task The_trunk_and_the_four_deskphones_are_pjsip_endpoints_and_trunk_calls_go_to_the_city_app()
    {
        var ct = Timeouts.After(30);
        var endpoints = await fixture.Asterisk.CliAsync("pjsip show endpoints", ct);
        var dialplan = await fixture.Asterisk.CliAsync("dialplan show from-trunk", ct);

        foreach (var endpoint in new[] { "trunk", "101", "102", "103", "104" })
        {
            Assert.Matches($@"Endpoint:\s+{endpoint}\b", endpoints);
        }
        Assert.Contains("Stasis(${CITYCONTACT_APP},inbound,${EXTEN})", dialplan, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^.*\b(WARNING|ERROR)\[\d+\] (?<source>\S+): .*$", RegexOptions.Multiline)]
    private static partial Regex Problem();

    [GeneratedRegex(@"[\w.-]+\.conf\b")]
    private static partial Regex ConfFile();
}
