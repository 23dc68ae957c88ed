using System.Globalization;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>
/// Settings a real Asterisk 22.10.1 showed to matter: a media range that refused calls from about 50 at once, a
/// voicemail.conf that warned at every start, an HTTP session limit the service must stay under, and AMI events
/// nobody reads. (The suite in tests/CityContact.RealAsterisk.Tests boots the shipped files and reads the log.)
/// </summary>
public sealed class CapacityAndWarningsTests
{
    private static string Setting(string file, string section, string key) =>
        ShippedFiles.Load(file).Single(section).OwnEntries.Single(e => e.Key == key).Value;

    private static int Number(string file, string section, string key) => int.Parse(Setting(file, section, key), CultureInfo.InvariantCulture);

    [Fact]
    public void The_media_range_carries_a_thousand_calls_with_agents()
    {
        // One stream per leg, two ports per stream (RTP even, RTCP odd); a caller talking to an agent has two legs.
        var ports = Number("rtp.conf", "general", "rtpend") - Number("rtp.conf", "general", "rtpstart") + 1;

        Assert.True(ports / 2 / 2 >= 1000, $"{ports} RTP ports carry {ports / 4} calls with agents");
    }

    [Fact]
    public void Voicemail_settings_give_asterisk_nothing_to_warn_about()
    {
        // app_voicemail warns "maxsilence should be less than minsecs" unless silence detection is off or shorter.
        var maxSilence = Number("voicemail.conf", "general", "maxsilence");
        var minSecs = Number("voicemail.conf", "general", "minsecs");

        Assert.True(maxSilence == 0 || maxSilence < minSecs, $"maxsilence {maxSilence}, minsecs {minSecs}");
    }

    [Fact]
    public void Asterisk_accepts_more_http_sessions_than_the_service_opens()
    {
        const int serviceRestConnections = 40; // Ari:MaxConnections' default
        const int eventWebSocket = 1;

        Assert.True(Number("http.conf", "general", "sessionlimit") > serviceRestConnections + eventWebSocket);
    }

    [Fact]
    public void The_service_account_receives_only_the_ami_events_it_reads()
    {
        var filters = ShippedFiles.Load("manager.conf").Single("@@AMI_USER@@").OwnEntries.Where(e => e.Key == "eventfilter").Select(e => e.Value).ToList();

        var filter = Assert.Single(filters);
        Assert.Matches(filter, "Event: DeviceStateChange");
        Assert.DoesNotMatch(filter, "Event: Newchannel");
        Assert.DoesNotMatch(filter, "Event: VarSet");
    }
}
