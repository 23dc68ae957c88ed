using System.Text.RegularExpressions;
using CityContact.Service.Features.Voicemail;
using CityContact.Service.Tests.Infrastructure;

namespace CityContact.Service.Tests.Voicemail;

/// <summary>The fallback import's settings, and the shipped Asterisk configuration they must agree with.</summary>
public sealed class FallbackOptionsTests
{
    private static string ShippedFile(string name) =>
        File.ReadAllText(Path.Combine(PostgresServer.RepositoryRoot(), "asterisk-config", name));

    [Fact]
    public void The_default_fallback_mailbox_is_the_one_the_shipped_dialplan_records_into_and_voicemail_conf_defines()
    {
        var mailbox = new VoicemailOptions().FallbackMailbox;

        var global = Regex.Match(ShippedFile("extensions.conf"), @"^CITYCONTACT_FALLBACK_MAILBOX\s*=\s*(\S+)\s*$", RegexOptions.Multiline);
        Assert.True(global.Success, "extensions.conf defines CITYCONTACT_FALLBACK_MAILBOX");
        Assert.Equal(mailbox, global.Groups[1].Value);

        var (box, context) = (mailbox.Split('@')[0], mailbox.Split('@')[1]);
        var section = Regex.Match(ShippedFile("voicemail.conf"), $@"^\[{Regex.Escape(context)}\]\s*$(?<body>(?:(?!^\[).)*)",
            RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(section.Success, $"voicemail.conf has the context [{context}]");
        Assert.Matches(new Regex($@"^{Regex.Escape(box)}\s*=>", RegexOptions.Multiline), section.Groups["body"].Value);
    }

    [Fact]
    public void The_import_is_off_by_default_and_the_defaults_are_valid()
    {
        var defaults = new VoicemailOptions();

        Assert.Null(defaults.FallbackMailboxDirectory());
        Assert.True(new VoicemailOptionsValidator().Validate(null, defaults).Succeeded);
    }

    [Fact]
    public void The_mailbox_directory_is_the_spool_then_the_context_then_the_mailbox()
    {
        var options = new VoicemailOptions { FallbackSpoolDirectory = "/var/spool/asterisk/voicemail" };

        Assert.Equal("/var/spool/asterisk/voicemail/citycontact/9999", options.FallbackMailboxDirectory());
        Assert.True(new VoicemailOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(nameof(VoicemailOptions.FallbackSpoolDirectory), "spool/voicemail")]
    [InlineData(nameof(VoicemailOptions.FallbackMailbox), "9999")]
    [InlineData(nameof(VoicemailOptions.FallbackMailbox), "../../etc@citycontact")]
    [InlineData(nameof(VoicemailOptions.FallbackScanSeconds), "0")]
    [InlineData(nameof(VoicemailOptions.FallbackDepartmentCode), "Operator Desk")]
    [InlineData(nameof(VoicemailOptions.RecordingsDirectory), "recording")]
    public void A_wrong_fallback_setting_is_refused_naming_it(string property, string value)
    {
        var options = new VoicemailOptions { FallbackSpoolDirectory = "/var/spool/asterisk/voicemail" };
        var setter = typeof(VoicemailOptions).GetProperty(property)!;
        setter.SetValue(options, setter.PropertyType == typeof(int) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : value);

        var result = new VoicemailOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains($"Voicemail:{property}", result.FailureMessage, StringComparison.Ordinal);
    }
}
