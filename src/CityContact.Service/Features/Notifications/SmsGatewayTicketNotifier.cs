using System.Globalization;
using System.Net.Http.Json;
using CityContact.Service.Features.Tickets;

namespace CityContact.Service.Features.Notifications;

/// <summary>
/// Texts the citizen through an HTTP SMS gateway. The contract (README, "SMS gateway"): POST Notifications:Sms:Url with
/// the header Notifications:Sms:AuthHeader: AuthValue, an Idempotency-Key header that is the same for every retry of
/// one notification, and the JSON body {"to": "+40722123456", "text": "…", "reference": "TM-2026-000123"}; any 2xx is
/// delivered, anything else (or no answer within TimeoutSeconds) is retried by the queue.
/// </summary>
public sealed class SmsGatewayTicketNotifier(
    IHttpClientFactory http, IOptions<NotificationsOptions> options, ILogger<SmsGatewayTicketNotifier> logger) : ITicketNotifier
{
    public const string HttpClientName = "sms-gateway";

    public sealed record SmsRequest(string To, string Text, string Reference);

    public string Name => "sms";

    public bool CanNotify(TicketStatusChanged change) =>
        options.Value.Enabled.Contains(Name) && !string.IsNullOrWhiteSpace(change.CitizenPhone);

    public async Task NotifyAsync(TicketStatusChanged change, CancellationToken ct)
    {
        var sms = options.Value.Sms;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(sms.TimeoutSeconds));
        using var request = new HttpRequestMessage(HttpMethod.Post, sms.Url)
        {
            Content = JsonContent.Create(new SmsRequest(change.CitizenPhone!, TicketNotificationQueue.TextOf(change), change.Number)),
        };
        if (!string.IsNullOrEmpty(sms.AuthValue))
        {
            request.Headers.TryAddWithoutValidation(sms.AuthHeader, sms.AuthValue);
        }
        request.Headers.TryAddWithoutValidation("Idempotency-Key",
            $"{change.Number}/{change.ToStatus}/{change.At.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture)}");
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"SMS gateway answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"SMS gateway did not answer within {sms.TimeoutSeconds} s");
        }
        logger.LogDebug("SMS for ticket {TicketNumber} accepted by the gateway for {Phone}", change.Number, Tickets.PhoneNumbers.Mask(change.CitizenPhone));
    }
}
