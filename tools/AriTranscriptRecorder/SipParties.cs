using CityContact.RealAsterisk.Tests.Harness;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CityContact.Tools.AriTranscriptRecorder;

/// <summary>A SIP message a party sent or received, as the <c>sipp-trace</c>-style stimulus of the transcripts.</summary>
internal static class SipTrace
{
    public static JsonObject Step(double t, string source, string party, bool sent, string firstLine, string callId, string cseq) => new()
    {
        ["t"] = t, ["kind"] = "stimulus", ["source"] = source,
        ["text"] = $"{party} {(sent ? "sent" : "received")} {firstLine}",
        ["sip"] = new JsonObject
        {
            ["party"] = party, ["direction"] = sent ? "sent" : "received", ["first_line"] = firstLine, ["call_id"] = callId, ["cseq"] = cseq,
        },
    };

    public static string Header(IEnumerable<string> lines, string name) =>
        lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim() ?? "";
}

/// <summary>
/// The trunk caller: SIPp from <paramref name="trunkIp"/> playing a scenario written here. Its message log
/// (<c>-trace_msg</c>) becomes the <c>sipp-trace</c> stimuli, on SIPp's own timestamps. The digit is a pcap written
/// here (<see cref="DtmfPcap"/>); its
/// <c>sipp-scenario</c> stimulus is stamped at the ACK plus the scenario's pause, when SIPp starts the pcap
/// (SIPp 3.6.1 here ran no <c>exec command</c>, so the scenario cannot announce it as the older harness did).
/// </summary>
internal sealed class SippCaller(Timeline timeline, string workDirectory, string trunkIp, string asterisk) : IDisposable
{
    private Process? _process;
    private TimeSpan _pause;
    private char _digit;
    private string MessageFile => Path.Combine(workDirectory, "sipp-messages.log");

    /// <summary>Calls <paramref name="extension"/>; after the ACK waits <paramref name="pause"/>, sends <paramref name="digit"/> and waits for Asterisk's BYE.</summary>
    public void Start(string extension, TimeSpan pause, char digit, CancellationToken ct)
    {
        (_pause, _digit) = (pause, digit);
        var pcap = Path.Combine(workDirectory, "dtmf.pcap");
        // 280 ms, as the first lab's digits (INDEX.md, "DTMF").
        DtmfPcap.Write(pcap, digit, endDuration: 2240);
        var scenario = Path.Combine(workDirectory, "caller.xml");
        File.WriteAllText(scenario, CallerScenario
            .Replace("@PAUSE@", ((int)pause.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@PCAP@", pcap, StringComparison.Ordinal));
        File.Delete(MessageFile);
        _process = Process.Start(new ProcessStartInfo("sipp")
        {
            ArgumentList =
            {
                "-sf", scenario, "-s", extension, "-i", trunkIp, "-p", "5070", "-mi", trunkIp, "-m", "1",
                "-trace_msg", "-message_file", MessageFile, "-nostdin", asterisk,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _process.StandardOutput.ReadToEndAsync(ct);
        _process.StandardError.ReadToEndAsync(ct);
    }

    public async Task WaitAsync(CancellationToken ct)
    {
        await _process!.WaitForExitAsync(ct);
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"sipp exited with {_process.ExitCode}; its scenario is in {workDirectory}");
        }
        var trace = ParseMessageLog(File.ReadAllLines(MessageFile)).ToList();
        foreach (var step in trace)
        {
            timeline.Step(step);
        }
        var ack = trace.First(s => s["text"]!.GetValue<string>().StartsWith("caller sent ACK ", StringComparison.Ordinal));
        timeline.Step(Timeline.Stimulus(Math.Round(ack["t"]!.GetValue<double>() + _pause.TotalSeconds, 4), $"caller sent DTMF {_digit} via RFC 2833", "sipp-scenario"));
    }

    public void Dispose() => _process?.Dispose();

    private static readonly Regex Stamp = new(@"^-+ (?<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})$", RegexOptions.CultureInvariant);
    private static readonly Regex Direction = new(@"^\w+ message (?<dir>sent|received)", RegexOptions.CultureInvariant);

    private IEnumerable<JsonObject> ParseMessageLog(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var stamp = Stamp.Match(lines[i]);
            if (!stamp.Success || i + 1 >= lines.Length || Direction.Match(lines[i + 1]) is not { Success: true } direction)
            {
                continue;
            }
            var at = DateTime.ParseExact(stamp.Groups["time"].Value, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
            var message = lines.Skip(i + 2).SkipWhile(string.IsNullOrWhiteSpace).TakeWhile(l => !Stamp.IsMatch(l)).ToArray();
            yield return SipTrace.Step(timeline.At(at), "sipp-trace", "caller", direction.Groups["dir"].Value == "sent",
                message[0].Trim(), SipTrace.Header(message, "Call-ID"), SipTrace.Header(message, "CSeq"));
        }
    }

    private const string CallerScenario = """
        <?xml version="1.0" encoding="ISO-8859-1" ?>
        <scenario name="trunk caller: one digit, then the app hangs up">
          <send retrans="500"><![CDATA[
        INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
        Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
        From: "Citizen" <sip:+40722123456@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
        To: <sip:[service]@[remote_ip]:[remote_port]>
        Call-ID: [call_id]
        CSeq: 1 INVITE
        Contact: sip:sipp@[local_ip]:[local_port]
        Max-Forwards: 70
        Content-Type: application/sdp
        Content-Length: [len]

        v=0
        o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
        s=-
        c=IN IP[media_ip_type] [media_ip]
        t=0 0
        m=audio [media_port] RTP/AVP 8 101
        a=rtpmap:8 PCMA/8000
        a=rtpmap:101 telephone-event/8000
        a=fmtp:101 0-15
          ]]></send>
          <recv response="100" optional="true"/>
          <recv response="180" optional="true"/>
          <recv response="183" optional="true"/>
          <recv response="200" rtd="true"/>
          <send><![CDATA[
        ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
        Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
        From: "Citizen" <sip:+40722123456@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
        To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
        Call-ID: [call_id]
        CSeq: 1 ACK
        Contact: sip:sipp@[local_ip]:[local_port]
        Max-Forwards: 70
        Content-Length: 0
          ]]></send>
          <pause milliseconds="@PAUSE@"/>
          <nop><action><exec play_pcap_audio="@PCAP@"/></action></nop>
          <recv request="BYE" timeout="15000"/>
          <send><![CDATA[
        SIP/2.0 200 OK
        [last_Via:]
        [last_From:]
        [last_To:]
        [last_Call-ID:]
        [last_CSeq:]
        Contact: sip:sipp@[local_ip]:[local_port]
        Content-Length: 0
          ]]></send>
        </scenario>
        """;
}

/// <summary>
/// An agent's deskphone: pjsua driven through its stdin (its menu: <c>a</c> + code answers, <c>h</c> hangs up,
/// <c>ru</c> unregisters, <c>q</c> quits). It rings (180) at once, as a deskphone does; the scenario answers. Its log's TX/RX lines become <c>pjsua-log</c> stimuli afterwards.
/// </summary>
internal sealed class PjsuaPhone(Timeline timeline, string workDirectory, string extension, string password, string registrar, int localPort)
{
    private Process? _process;
    private string LogFile => Path.Combine(workDirectory, $"pjsua-{extension}.log");

    public void Start()
    {
        File.Delete(LogFile);
        _process = Process.Start(new ProcessStartInfo("/opt/asterisk-22/bin/pjsua")
        {
            ArgumentList =
            {
                "--id", $"sip:{extension}@127.0.0.1", "--registrar", $"sip:{registrar}", "--realm", "*",
                "--username", extension, "--password", password, "--reg-timeout", "60",
                "--local-port", localPort.ToString(CultureInfo.InvariantCulture), "--bound-addr", "127.0.0.1", "--ip-addr", "127.0.0.1",
                "--no-tcp", "--null-audio", "--auto-answer", "180", "--log-file", LogFile, "--log-level", "5", "--app-log-level", "1",
            },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _process.StandardOutput.ReadToEndAsync();
        _process.StandardError.ReadToEndAsync();
    }

    public async Task CommandAsync(params string[] lines)
    {
        foreach (var line in lines)
        {
            await _process!.StandardInput.WriteLineAsync(line);
            await _process.StandardInput.FlushAsync();
            await Task.Delay(50);
        }
    }

    public async Task QuitAsync(CancellationToken ct)
    {
        await CommandAsync("q");
        await _process!.WaitForExitAsync(ct);
        var today = DateTime.Now.Date;
        var lines = File.ReadAllLines(LogFile);
        for (var i = 0; i < lines.Length; i++)
        {
            var m = PjsuaMessage.Match(lines[i]);
            if (!m.Success)
            {
                continue;
            }
            var message = lines.Skip(i + 1).TakeWhile(l => l != "--end msg--").ToArray();
            var at = today + TimeSpan.ParseExact(m.Groups["time"].Value, @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);
            timeline.Step(SipTrace.Step(timeline.At(at), "pjsua-log", extension, m.Groups["dir"].Value == "TX",
                message[0].Trim(), SipTrace.Header(message, "Call-ID"), SipTrace.Header(message, "CSeq")));
        }
    }

    private static readonly Regex PjsuaMessage = new(@"^(?<time>\d\d:\d\d:\d\d\.\d{3}) .*\b(?<dir>TX|RX) \d+ bytes (Request|Response) msg ", RegexOptions.CultureInvariant);
}
