using System.Diagnostics;
using System.Security;
using System.Text;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>One thing the caller does, in order.</summary>
public abstract record CallerStep
{
    /// <summary>Silence (SIPp sends no audio) for a while.</summary>
    public sealed record Pause(TimeSpan Length) : CallerStep;

    /// <summary>One key as RFC 4733 events.</summary>
    public sealed record Press(char Digit) : CallerStep;

    /// <summary>A PCMA recording from a pcap, then silence until it has played.</summary>
    public sealed record Speak(string PcapPath, TimeSpan Length) : CallerStep;

    public static CallerStep Wait(double seconds) => new Pause(TimeSpan.FromSeconds(seconds));

    public static CallerStep Key(char digit) => new Press(digit);
}

/// <summary>How the caller ends the call: hangs up, or waits for Asterisk's BYE.</summary>
public enum CallerEnding
{
    HangsUp,
    WaitsForHangup,
}

/// <summary>What the caller's side saw.</summary>
public sealed record CallerResult(int ExitCode, bool Answered, bool HungUpByAsterisk, string Trace)
{
    /// <summary>The outcome in one line; <see cref="Trace"/> has every SIP message when that is not enough.</summary>
    public override string ToString() => $"sipp exit {ExitCode}, answered {Answered}, BYE from Asterisk {HungUpByAsterisk}";
}

/// <summary>
/// A citizen calling through the provider's trunk: SIPp sends from the trunk's loopback address, offers PCMA and
/// telephone-event/101, then plays its steps (pauses, digits, speech) and hangs up or waits for Asterisk to.
/// </summary>
public sealed class SippCaller(AsteriskInstance asterisk, string callerNumber, string dialedNumber)
{
    /// <summary>play_pcap_audio returns at once; a digit's 10 packets need 200 ms, and a gap keeps two presses apart.</summary>
    private static readonly TimeSpan AfterDigit = TimeSpan.FromMilliseconds(400);

    public string CallerNumber => callerNumber;

    public async Task<CallerResult> CallAsync(IReadOnlyList<CallerStep> steps, CallerEnding ending, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("cc-rat-sipp-").FullName;
        try
        {
            var scenario = Path.Combine(directory, "call.xml");
            await File.WriteAllTextAsync(scenario, Scenario(steps, ending, directory), ct);
            var trunk = asterisk.TrunkAddress;
            var messages = Path.Combine(directory, "messages.log");
            var start = new ProcessStartInfo(asterisk.Installation.Sipp)
            {
                ArgumentList =
                {
                    "-sf", scenario, "-s", dialedNumber,
                    "-i", trunk.ToString(), "-p", FreePorts.Udp(trunk).ToString(),
                    "-mi", trunk.ToString(), "-mp", FreePorts.UdpRange(4).ToString(),
                    "-m", "1", "-nostdin",
                    // A scenario that cannot finish (no BYE ever comes) fails instead of hanging the run.
                    "-timeout", "180s", "-timeout_error",
                    "-trace_msg", "-message_file", messages,
                    $"127.0.0.1:{asterisk.Layout.SipPort}",
                },
                WorkingDirectory = directory,
            };
            var (exitCode, _, error) = await ChildProcess.RunAsync(start, ct);
            var trace = File.Exists(messages) ? await File.ReadAllTextAsync(messages, CancellationToken.None) : "";
            var received = ReceivedMessages(trace).ToList();
            return new CallerResult(
                exitCode,
                Answered: received.Any(m => m.StartsWith("SIP/2.0 200", StringComparison.Ordinal) && m.Contains("CSeq: 1 INVITE", StringComparison.Ordinal)),
                HungUpByAsterisk: received.Any(m => m.StartsWith("BYE ", StringComparison.Ordinal)),
                Trace: trace + error);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The SIP messages SIPp received, each from its first line, out of its message trace.</summary>
    private static IEnumerable<string> ReceivedMessages(string trace)
    {
        foreach (var block in trace.Split("message received", StringSplitOptions.None).Skip(1))
        {
            var start = block.IndexOf('\n', StringComparison.Ordinal) + 1;
            var end = block.IndexOf("-----------------------------------------------", StringComparison.Ordinal);
            yield return block[start..(end < 0 ? block.Length : end)].TrimStart();
        }
    }

    private string Scenario(IReadOnlyList<CallerStep> steps, CallerEnding ending, string directory)
    {
        var from = $"\"Citizen\" <sip:{SecurityElement.Escape(callerNumber)}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]";
        var body = new StringBuilder();
        var presses = 0;
        foreach (var step in steps)
        {
            switch (step)
            {
                case CallerStep.Pause pause:
                    body.AppendLine(Pause(pause.Length));
                    break;
                case CallerStep.Press press:
                    var pcap = Path.Combine(directory, $"digit-{presses++}.pcap");
                    DtmfPcap.Write(pcap, press.Digit);
                    body.AppendLine(Play(pcap)).AppendLine(Pause(AfterDigit));
                    break;
                case CallerStep.Speak speak:
                    body.AppendLine(Play(speak.PcapPath)).AppendLine(Pause(speak.Length));
                    break;
            }
        }
        var end = ending == CallerEnding.HangsUp
            ? $"""
              <send retrans="500"><![CDATA[
              BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
              From: {from}
              To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
              Call-ID: [call_id]
              CSeq: 2 BYE
              Contact: sip:sipp@[local_ip]:[local_port]
              Max-Forwards: 70
              Content-Length: 0

              ]]></send>
              <recv response="200"/>
              """
            : """
              <recv request="BYE"/>
              <send><![CDATA[
              SIP/2.0 200 OK
              [last_Via:]
              [last_From:]
              [last_To:]
              [last_Call-ID:]
              [last_CSeq:]
              Content-Length: 0

              ]]></send>
              """;
        return $"""
            <?xml version="1.0" encoding="ISO-8859-1" ?>
            <scenario name="citizen">
            <send retrans="500"><![CDATA[
            INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
            Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
            From: {from}
            To: <sip:[service]@[remote_ip]:[remote_port]>
            Call-ID: [call_id]
            CSeq: 1 INVITE
            Contact: sip:sipp@[local_ip]:[local_port]
            Max-Forwards: 70
            Content-Type: application/sdp
            Content-Length: [len]

            v=0
            o=citizen 53655765 2353687637 IN IP[local_ip_type] [local_ip]
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
            From: {from}
            To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
            Call-ID: [call_id]
            CSeq: 1 ACK
            Contact: sip:sipp@[local_ip]:[local_port]
            Max-Forwards: 70
            Content-Length: 0

            ]]></send>
            {body}
            {end}
            </scenario>
            """;
    }

    private static string Pause(TimeSpan length) => $"""<pause milliseconds="{(int)length.TotalMilliseconds}"/>""";

    private static string Play(string pcap) => $"""<nop><action><exec play_pcap_audio="{SecurityElement.Escape(pcap)}"/></action></nop>""";

    /// <summary>A number nobody else's test uses, so the call's row is found by its caller.</summary>
    public static string UniqueCallerNumber() => "+4072" + Random.Shared.Next(1_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
