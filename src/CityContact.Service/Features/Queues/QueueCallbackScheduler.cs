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
/// rate limit, then stores the request durably (one open request per ticket or call). A refusal is logged with the
/// number masked, noted in the ticket's history when there is one, and thrown as <see cref="CallbackRefusedException"/>.
/// </summary>
public sealed partial class QueueCallbackScheduler(
    CallbackStore store, TicketService tickets, IOptions<QueueOptions> options, TimeProvider time, ILogger<QueueCallbackScheduler> logger)
    : ICallbackScheduler
{
    public static readonly TicketActor Actor = new("callback");

    public async Task<long> RequestAsync(CallbackRequest request, CancellationToken cancellationToken)
    {
        var phone = request.Phone.Trim();
        var settings = options.Value;
        string? refusal = null;
        if (!settings.CallbackAllowedPatterns.Any(p => Regex.IsMatch(phone, p, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100))))
        {
            refusal = "number-not-allowed";
        }
        else if (await store.CountForPhoneAsync(phone, time.GetUtcNow().AddDays(-1), cancellationToken) >= settings.CallbacksPerNumberPerDay)
        {
            refusal = "rate-limited";
        }
        if (refusal is not null)
        {
            LogRefused(PhoneNumbers.Mask(phone), refusal, request.TicketId);
            if (request.TicketId is { } ticketId)
            {
                await tickets.AddNoteAsync(ticketId, $"Callback to {PhoneNumbers.Mask(phone)} refused: {refusal}", Actor, cancellationToken);
            }
            throw new CallbackRefusedException(refusal);
        }
        var id = await store.RequestAsync(request with { Phone = phone }, settings.CallbackMaxAttempts, cancellationToken);
        LogStored(id, PhoneNumbers.Mask(phone), request.TicketId);
        return id;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback to {Phone} refused ({Reason}), ticket {TicketId}")]
    private partial void LogRefused(string phone, string reason, long? ticketId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback request {Id} to {Phone} stored, ticket {TicketId}")]
    private partial void LogStored(long id, string phone, long? ticketId);
}
