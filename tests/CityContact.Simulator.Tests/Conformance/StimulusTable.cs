using System.Globalization;
using System.Text.RegularExpressions;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>What the SIP side does to the simulator, translated from a transcript stimulus.</summary>
public abstract record StimulusAction;

/// <summary>A trunk caller sends INVITE to <paramref name="Extension"/>; <paramref name="CallKey"/> (the SIP Call-ID) names the call for later steps.</summary>
public sealed record CallArrives(string CallKey, string Extension, string CallerNumber, string CallerName) : StimulusAction;

/// <summary>The caller of <paramref name="CallKey"/> (or of the latest call when null) sends BYE.</summary>
public sealed record CallerHangsUp(string? CallKey) : StimulusAction;

/// <summary>The caller sends an RFC 2833 digit.</summary>
public sealed record CallerPresses(string? CallKey, char Digit) : StimulusAction;

/// <summary>The caller starts sending speech, for <paramref name="Length"/> or until the call ends.</summary>
public sealed record CallerSpeaks(string? CallKey, TimeSpan? Length) : StimulusAction;

public sealed record PhoneRegisters(string Endpoint, int ExpiresSeconds) : StimulusAction;

public sealed record PhoneUnregisters(string Endpoint) : StimulusAction;

/// <summary>The deskphone's user hangs up an answered call (BYE).</summary>
public sealed record PhoneHangsUp(string Endpoint) : StimulusAction;

/// <summary>
/// From now on the deskphone answers an INVITE after ringing for <paramref name="After"/>, or never (null). Not a
/// stimulus line: the replay derives it from the transcript (see <see cref="StimulusTable.PhonePlans"/>), as SIPp's
/// phone scenario was written ("pause 2 s, then 200 OK").
/// </summary>
public sealed record PhoneAnswersAfter(string Endpoint, TimeSpan? After) : StimulusAction;

/// <summary>
/// Maps each stimulus text of the transcripts to an action, or to nothing when the line only shows what Asterisk
/// sent (its consequences are checked through the ARI events) or is a detail of a SIP transaction the simulator does
/// not model. A stimulus no row matches fails the replay, so a new transcript cannot be skipped silently.
/// </summary>
public static partial class StimulusTable
{
    // The first lab's caller (INDEX.md); the replay sets the caller of the transcript's own lab (Transcript.Lab).
    private const string TrunkCallerNumber = "+15551230001";
    private const string TrunkCallerName = "Caller 1";

    // A deskphone as the SIP traces name it: agent1 (the first lab, SIPp) or its extension, 101 (the shipped config, pjsua).
    private const string Phone = @"(?:agent\w*|\d+)";

    private sealed record Row(Regex Pattern, Func<Match, StimulusStep, StimulusAction?> Translate, string Why);

    private static readonly Row[] Rows =
    [
        new(Re(@"^caller sent INVITE sip:(?<exten>[^@]+)@"), (m, s) => new CallArrives(s.SipCallId ?? $"step-{s.Index}", m.Groups["exten"].Value, TrunkCallerNumber, TrunkCallerName), "a trunk call"),
        new(Re("^caller sent BYE "), (_, s) => new CallerHangsUp(s.SipCallId), "the caller hangs up"),
        new(Re("^caller sent DTMF (?<digit>.) via RFC 2833$"), (m, _) => new CallerPresses(null, m.Groups["digit"].Value[0]), "a key press"),
        new(Re(@"^caller starts sending audio \([^,]+, (?:(?<seconds>[0-9.]+) s of )?PCMA speech\)$"),
            (m, _) => new CallerSpeaks(null, m.Groups["seconds"].Success ? TimeSpan.FromSeconds(double.Parse(m.Groups["seconds"].Value, CultureInfo.InvariantCulture)) : null), "speech"),
        new(Re(@"^(?<endpoint>\w+) phone registers \(REGISTER Expires: (?<expires>\d+)"), (m, _) => new PhoneRegisters(m.Groups["endpoint"].Value, int.Parse(m.Groups["expires"].Value, CultureInfo.InvariantCulture)), "registration"),
        new(Re(@"^(?<endpoint>\w+) phone unregisters \(REGISTER Expires: 0"), (m, _) => new PhoneUnregisters(m.Groups["endpoint"].Value), "unregistration"),
        new(Re(@"^(?<endpoint>\w+) phone hangs up \(BYE\)$"), (m, _) => new PhoneHangsUp(m.Groups["endpoint"].Value), "the agent hangs up"),
        new(Re(@"^\w+ phone answers \(200 OK\)$"), (_, _) => null, "the answer is planned at the start from the ringing time (PhonePlans)"),
        new(Re($@"^{Phone} sent SIP/2\.0 180 Ringing$"), (_, _) => null, "a deskphone rings by itself when it gets an INVITE"),
        new(Re($@"^{Phone} sent SIP/2\.0 200 OK$"), (_, _) => null,
            "to an INVITE: the phone's answer, planned at the start from the ringing time (PhonePlans); to a BYE: only an acknowledgement"),

        // Parts of SIP transactions already covered by the rows above, or the labelled registration.
        new(Re(@"^\w+ sent REGISTER "), (_, _) => null, "a REGISTER of the registration labelled by the harness"),
        new(Re("^caller sent ACK "), (_, _) => null, "ACK of the INVITE's final answer"),
        new(Re(@"^caller sent SIP/2\.0 200 OK$"), (_, _) => null, "the caller's 200 OK to Asterisk's BYE"),
        new(Re($@"^{Phone} sent SIP/2\.0 (100 Trying|487 Request Terminated)$"), (_, _) => null, "the phone's provisional answer, or its answer to Asterisk's CANCEL"),
        new(Re($@"^{Phone} sent BYE "), (_, _) => null, "the BYE of the hang-up labelled by the harness"),

        // What Asterisk sent: observed through the ARI events and REST answers instead.
        new(Re(@"^\w+ received "), (_, _) => null, "a message Asterisk sent"),
    ];

    /// <summary>The action for <paramref name="step"/> (null when the line needs none); throws when no row knows the text.</summary>
    public static StimulusAction? Translate(StimulusStep step)
    {
        foreach (var row in Rows)
        {
            var match = row.Pattern.Match(step.Text);
            if (match.Success)
            {
                return row.Translate(match, step);
            }
        }
        throw new InvalidDataException($"{step.Label}: no rule of StimulusTable knows this stimulus");
    }

    /// <summary>
    /// How each deskphone that gets an INVITE in the transcript answers: after the time between that INVITE and the
    /// phone's 200 OK to it (same Call-ID), or never when it sent none. Performed before the first step.
    /// </summary>
    public static IReadOnlyList<PhoneAnswersAfter> PhonePlans(Transcript transcript)
    {
        var stimuli = transcript.Steps.OfType<StimulusStep>().Where(s => s.Source is "sipp-trace" or "pjsua-log").ToList();
        var plans = new List<PhoneAnswersAfter>();
        foreach (var invite in stimuli.Where(s => PhoneInvite().IsMatch(s.Text)))
        {
            var endpoint = PhoneInvite().Match(invite.Text).Groups["endpoint"].Value;
            var answer = stimuli.FirstOrDefault(s => s.SipCallId == invite.SipCallId && s.Text == $"{endpoint} sent SIP/2.0 200 OK"
                && s.SipCSeq?.EndsWith(" INVITE", StringComparison.Ordinal) == true);
            if (plans.Any(p => p.Endpoint == endpoint))
            {
                throw new InvalidDataException($"{invite.Label}: a second INVITE to {endpoint}; one answer plan per phone is supported");
            }
            plans.Add(new PhoneAnswersAfter(endpoint, answer is null ? null : TimeSpan.FromSeconds(answer.T - invite.T)));
        }
        return plans;
    }

    [GeneratedRegex(@"^(?<endpoint>agent\w*|\d+) received INVITE ")]
    private static partial Regex PhoneInvite();

    private static Regex Re(string pattern) => new(pattern, RegexOptions.CultureInvariant);
}
