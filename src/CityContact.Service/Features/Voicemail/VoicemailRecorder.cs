using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Rest;

namespace CityContact.Service.Features.Voicemail;

/// <summary>
/// The <c>voicemail</c> node: "leave a message after the tone", a recording through ARI (maximum length and silence,
/// # to finish), a review (1 records again, 2 keeps), then a callback ticket for the caller's number and the node's
/// department, the callback requested from the queue's scheduler, and the ticket number read out digit by digit.
/// The call closes with outcome <c>voicemail</c>. A caller who hangs up while recording still gets the ticket when
/// anything was recorded; a message of zero seconds is deleted.
/// </summary>
public sealed partial class VoicemailRecorder(
    AsteriskConnection asterisk,
    TicketService tickets,
    VoicemailStore store,
    SlaDeadlines calendars,
    CallRecorder recorder,
    IOptions<VoicemailOptions> options,
    ILogger<VoicemailRecorder> logger,
    ICallbackScheduler? callbacks = null) : ICallHandover
{
    private const string KeepDigit = "2";
    private const string RecordAgainDigit = "1";

    public async Task<string?> HandOverAsync(CallHandler call, FlowNode node, CancellationToken ct)
    {
        var settings = options.Value;
        call.Step("voicemail.entered", new { queue = node.Queue });
        await call.PlayAsync(node.Prompts is { Count: > 0 } prompts ? prompts : ["leave-message"], interruptible: false, ct);
        for (var attempt = 1; ; attempt++)
        {
            var recording = await call.RecordAsync(new RecordRequest
            {
                Name = RecordingName(settings.RecordingPrefix, call.ChannelId, attempt),
                Format = "wav",
                MaxDuration = TimeSpan.FromSeconds(settings.MaxDurationSeconds),
                MaxSilence = TimeSpan.FromSeconds(settings.MaxSilenceSeconds),
                Beep = true,
                TerminateOn = "#",
                IfExists = "overwrite",
            }, ct);
            if (recording.Seconds == 0)
            {
                await DeleteAsync(recording.Name);
                if (recording.CallerHungUp)
                {
                    throw new CallerHungUpException();
                }
                call.Step("voicemail.empty", new { attempt });
                await call.PlayAsync(["message-empty", "goodbye"], interruptible: false, ct);
                call.Finish(CallOutcomes.Abandoned, "voicemail-empty");
                return null;
            }
            if (recording.CallerHungUp)
            {
                await FileTicketAsync(call, node, recording, CancellationToken.None);
                throw new CallerHungUpException();
            }
            string review;
            try
            {
                review = attempt <= settings.MaxRerecords ? await ReviewAsync(call, ct) : KeepDigit;
            }
            catch (CallerHungUpException)
            {
                // Hanging up instead of answering the review keeps the message, as hanging up while recording does.
                await FileTicketAsync(call, node, recording with { CallerHungUp = true }, CancellationToken.None);
                throw;
            }
            if (review == RecordAgainDigit)
            {
                call.Step("voicemail.rerecord", new { attempt });
                await DeleteAsync(recording.Name);
                continue;
            }
            var ticket = await FileTicketAsync(call, node, recording, ct);
            await call.PlayAsync(["message-saved", .. DigitPrompts(ticket.Number), "goodbye"], interruptible: false, ct);
            return null;
        }
    }

    /// <summary>
    /// A stored recording's name: prefix, channel id and take. Asterisk finds stored files by the name before the last
    /// dot, so the dot of a channel id (1741766401.12) becomes a dash.
    /// </summary>
    public static string RecordingName(string prefix, string channelId, int attempt) => $"{prefix}{channelId.Replace('.', '-')}-{attempt}";

    /// <summary>The digits of a ticket number as prompts (TM-2026-000123 → 2 0 2 6 0 0 0 1 2 3: what the keypad lookup takes).</summary>
    public static IEnumerable<string> DigitPrompts(string ticketNumber) => ticketNumber.Where(char.IsAsciiDigit).Select(d => $"digit-{d}");

    private async Task<string> ReviewAsync(CallHandler call, CancellationToken ct)
    {
        var digit = await call.PlayAsync(["message-review"], interruptible: true, ct)
            ?? await call.WaitForDigitAsync(TimeSpan.FromMilliseconds(options.Value.ReviewTimeoutMs), ct);
        call.Step("voicemail.review", new { digit = digit ?? "none" });
        return digit is RecordAgainDigit ? RecordAgainDigit : KeepDigit;
    }

    /// <summary>The ticket, then the callback: next opening of the department's hours for an after-hours message, else now.</summary>
    private async Task<Ticket> FileTicketAsync(CallHandler call, FlowNode node, RecordingEnd recording, CancellationToken ct)
    {
        var departmentId = node.Queue is { } queue ? await store.DepartmentOfQueueAsync(queue, ct) : null;
        var callId = await recorder.CallIdAsync(call.ChannelId, ct);
        var ticket = await tickets.CreateFromVoicemailAsync(call.Context.Caller, departmentId, callId, recording.Name, null, ct);
        call.Finish(CallOutcomes.Voicemail, recording.CallerHungUp ? "caller-hangup" : "voicemail");
        call.SetVariable("ticket", ticket.Number);
        call.Step("voicemail.ticket", new { ticketId = ticket.Id, ticket.Number, seconds = recording.Seconds, recording = recording.Name });
        var now = tickets.Now;
        var notBefore = (await calendars.CalendarForAsync(ticket.DepartmentId, ct)).Add(now, TimeSpan.Zero);
        if (callbacks is null || ticket.CitizenPhone is null || ticket.DepartmentId is not { } department)
        {
            call.Step("callback.not-requested", new { ticketId = ticket.Id, reason = callbacks is null ? "no callback scheduler" : "no phone or department" });
            LogCallbackNotRequested(ticket.Number);
            return ticket;
        }
        try
        {
            var requestId = await callbacks.RequestAsync(new CallbackRequest(department, ticket.CitizenPhone, ticket.Id, callId, notBefore, 0), ct);
            call.Step("callback.requested", new { ticketId = ticket.Id, requestId, notBefore = notBefore.UtcDateTime, afterHours = notBefore > now });
        }
        catch (CallbackRefusedException refused)
        {
            // The number is not one the city calls back (allow-list, daily limit): the scheduler noted it on the ticket;
            // the message itself is kept and an agent follows the ticket up.
            call.Step("callback.refused", new { ticketId = ticket.Id, reason = refused.Reason });
        }
        return ticket;
    }

    private async Task DeleteAsync(string name)
    {
        try
        {
            await asterisk.Ari.Rest.Recordings.DeleteStoredAsync(name, CancellationToken.None).IgnoreNotFound();
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            LogDeleteFailed(name, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketNumber}: no callback requested (no scheduler, phone or department); a supervisor must plan it")]
    private partial void LogCallbackNotRequested(string ticketNumber);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the discarded recording {Name} failed: {Error}")]
    private partial void LogDeleteFailed(string name, string error);
}
