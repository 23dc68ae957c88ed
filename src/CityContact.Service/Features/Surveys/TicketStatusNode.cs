using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Features.Voicemail;

namespace CityContact.Service.Features.Surveys;

/// <summary>
/// The <c>ticket-status</c> node: the caller types a ticket number (its digits, then #) and hears its status, only when
/// the call comes from the number that filed it; any other case hears the same neutral "not found". A found ticket is
/// kept in the call variable <c>ticket</c>, so a following <c>survey</c> node asks about it.
/// </summary>
public sealed class TicketStatusNode(TicketService tickets, IOptions<Ivr.IvrOptions> ivr) : ICallHandover
{
    public async Task<string?> HandOverAsync(CallHandler call, FlowNode node, CancellationToken ct)
    {
        var retries = node.MaxRetries ?? 1;
        for (var attempt = 0; attempt <= retries; attempt++)
        {
            var typed = await DigitsAsync(call, node, ct);
            if (typed is null)
            {
                call.Step("ticket-status.no-input", new { attempt });
                await call.PlayAsync([node.NoInputPrompt ?? "no-input"], interruptible: false, ct);
                continue;
            }
            var status = await tickets.GetStatusForCallerAsync(typed, call.Context.Caller, ct);
            if (status is null)
            {
                call.Step("ticket-status.not-found", new { attempt, length = typed.Length });
                await call.PlayAsync(["ticket-not-found"], interruptible: false, ct);
                continue;
            }
            call.Step("ticket-status.read", new { status.Number, status.Status });
            call.SetVariable("ticket", status.Number);
            await call.PlayAsync(["ticket-status-is", .. VoicemailRecorder.DigitPrompts(status.Number), $"ticket-status-{status.Status}"], interruptible: false, ct);
            return node.Next;
        }
        return node.Next;
    }

    /// <summary>Digits until # (or the maximum, or the inter-digit timeout); the question stops at the first digit.</summary>
    private async Task<string?> DigitsAsync(CallHandler call, FlowNode node, CancellationToken ct)
    {
        var max = node.MaxDigits ?? 16;
        var digit = await call.PlayAsync(node.Prompts ?? ["ticket-status-enter"], interruptible: true, ct)
            ?? await call.WaitForDigitAsync(TimeSpan.FromMilliseconds(node.TimeoutMs ?? ivr.Value.DefaultTimeoutMs), ct);
        var digits = "";
        while (digit is not null && digit != "#")
        {
            digits += digit;
            if (digits.Length >= max)
            {
                break;
            }
            digit = await call.WaitForDigitAsync(TimeSpan.FromMilliseconds(node.InterDigitTimeoutMs ?? ivr.Value.DefaultInterDigitTimeoutMs), ct);
        }
        return digits.Length == 0 ? null : digits;
    }
}
