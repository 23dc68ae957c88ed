using System.Text.RegularExpressions;
using CityContact.Service.Features.Tickets;

namespace CityContact.Service.Features.Queues;

/// <summary>A callback the settings do not allow: a number outside the allow-list, or one asking too often.</summary>
public sealed class CallbackRefusedException(string reason) : Exception($"Callback refused: {reason}")
{
    public string Reason { get; } = reason;
}

/// <summary>
/// <see cref="ICallbackScheduler"/> on callback_requests: checks the number against the allow-list and the per-number
/// rate limit, stores the request durably (one open request per ticket or call), then gives it a Quartz trigger at its
/// not-before time (next opening for an after-hours message, at once for a queue callback, which then waits in the
/// queue for a free agent). A refusal is logged with the number masked, noted in the ticket's history when there is
/// one, and thrown as <see cref="CallbackRefusedException"/>.
/// </summary>
public sealed partial class QueueCallbackScheduler(
    CallbackStore store, CallbackTriggers triggers, TicketService tickets, IOptions<QueueOptions> options, TimeProvider time,
    ILogger<QueueCallbackScheduler> logger)
    : ICallbackScheduler
{
    public static readonly TicketActor Actor = new("callback");

    public async Task<long> RequestAsync(CallbackRequest request, CancellationToken cancellationToken)
    {
        var phone = request.Phone.Trim();
        var settings = options.Value;
        string? refusal = null;
        // The allow-list patterns are the city's policy; whether it is a phone number at all is the numbering plan's.
        if (Tickets.PhoneNumbers.ToE164(phone, tickets.CountryCode) is null)
        {
            refusal = "number-not-valid";
        }
        else if (!settings.CallbackAllowedPatterns.Any(p => Regex.IsMatch(phone, p, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100))))
        {
            refusal = "number-not-allowed";
        }
        else if (await store.CountForPhoneAsync(phone, time.GetUtcNow().AddDays(-1), cancellationToken) >= settings.CallbacksPerNumberPerDay)
        {
            refusal = "rate-limited";
        }
        if (refusal is not null)
        {
            LogRefused(Tickets.PhoneNumbers.Mask(phone), refusal, request.TicketId);
            if (request.TicketId is { } ticketId)
            {
                await tickets.AddNoteAsync(ticketId, $"Callback to {Tickets.PhoneNumbers.Mask(phone)} refused: {refusal}", Actor, cancellationToken);
            }
            throw new CallbackRefusedException(refusal);
        }
        var id = await store.RequestAsync(request with { Phone = phone }, settings.CallbackMaxAttempts, cancellationToken);
        LogStored(id, Tickets.PhoneNumbers.Mask(phone), request.TicketId);
        try
        {
            await triggers.ScheduleAsync(id, request.NotBefore, cancellationToken);
        }
        catch (Quartz.SchedulerException e)
        {
            // The request is stored, which is the promise made to the citizen; the start-up sweep gives it its trigger.
            LogNotScheduled(e, id);
        }
        return id;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback to {Phone} refused ({Reason}), ticket {TicketId}")]
    private partial void LogRefused(string phone, string reason, long? ticketId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Callback request {Id} is stored but has no trigger yet; it is scheduled on the next start")]
    private partial void LogNotScheduled(Exception e, long id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback request {Id} to {Phone} stored, ticket {TicketId}")]
    private partial void LogStored(long id, string phone, long? ticketId);
}
