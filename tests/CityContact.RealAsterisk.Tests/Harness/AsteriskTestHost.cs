using System.Text.RegularExpressions;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>Where one test Asterisk keeps its files and which ports it takes.</summary>
public sealed record TestHostLayout(
    string EtcDirectory, string LibDirectory, string SpoolDirectory, string RunDirectory, string LogDirectory,
    string ModulesDirectory, string SbinDirectory, int SipPort, int HttpPort, int AmiPort, int RtpStart, int RtpEnd);

/// <summary>
/// Everything a test host changes in the rendered asterisk-config/, and nothing else: the shipped files are otherwise
/// exercised exactly as a city deploys them. Each edit names the shipped line it expects, so a change to the shipped
/// file that would make an edit silently miss fails here instead.
/// </summary>
public static class AsteriskTestHost
{
    public static void Apply(TestHostLayout layout)
    {
        // Directories: an unprivileged, throwaway instance that shares no socket, spool or log with another Asterisk.
        Edit(layout, "asterisk.conf", "[options]", "[options]", expected: 1, prepend: Directories(layout));
        // No run user: the tests run as an ordinary user, who cannot switch to "asterisk".
        Edit(layout, "asterisk.conf", "runuser = asterisk", "; runuser: the test runner's own user", expected: 1);
        Edit(layout, "asterisk.conf", "rungroup = asterisk", "; rungroup: the test runner's own group", expected: 1);
        // SIP on loopback and a free port: the machine's own 5060 may be another Asterisk's (UDP and TCP transports).
        Edit(layout, "pjsip.conf", "bind = 0.0.0.0:5060", $"bind = 127.0.0.1:{layout.SipPort}", expected: 2);
        // ARI on a free port (http.conf already binds loopback only).
        Edit(layout, "http.conf", "bindport = 8088", $"bindport = {layout.HttpPort}", expected: 1);
        // AMI on a free port (manager.conf already binds loopback only).
        Edit(layout, "manager.conf", "port = 5038", $"port = {layout.AmiPort}", expected: 1);
        // RTP in a free range of its own: another instance's media never lands on this one's calls.
        Edit(layout, "rtp.conf", "rtpstart = 10000", $"rtpstart = {layout.RtpStart}", expected: 1);
        Edit(layout, "rtp.conf", "rtpend = 19999", $"rtpend = {layout.RtpEnd}", expected: 1);
    }

    private static string Directories(TestHostLayout layout) => $"""
        [directories]
        astetcdir => {layout.EtcDirectory}
        astmoddir => {layout.ModulesDirectory}
        astvarlibdir => {layout.LibDirectory}
        astdbdir => {layout.LibDirectory}
        astkeydir => {layout.LibDirectory}
        astdatadir => {layout.LibDirectory}
        astagidir => {layout.LibDirectory}/agi-bin
        astspooldir => {layout.SpoolDirectory}
        astrundir => {layout.RunDirectory}
        astlogdir => {layout.LogDirectory}
        astsbindir => {layout.SbinDirectory}

        """;

    private static void Edit(TestHostLayout layout, string file, string shippedLine, string testLine, int expected, string prepend = "")
    {
        var path = Path.Combine(layout.EtcDirectory, file);
        var text = File.ReadAllText(path);
        var line = new Regex("^" + Regex.Escape(shippedLine) + "$", RegexOptions.Multiline);
        var found = line.Count(text);
        if (found != expected)
        {
            throw new InvalidOperationException($"{file}: expected {expected} line(s) '{shippedLine}', found {found}; update {nameof(AsteriskTestHost)}");
        }
        File.WriteAllText(path, prepend + line.Replace(text, testLine));
    }
}
