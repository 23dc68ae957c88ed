using System.Net;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Email;

namespace CityContact.Service.Features.Notifications;

/// <summary>Emails the citizen through the shared MailKit sender (Smtp:*). Retries are the queue's, so one attempt here.</summary>
public sealed class EmailTicketNotifier(EmailSender sender, IOptions<NotificationsOptions> options) : ITicketNotifier
{
    public string Name => "email";

    public bool CanNotify(TicketStatusChanged change) =>
        options.Value.Enabled.Contains(Name) && !string.IsNullOrWhiteSpace(change.CitizenEmail);

    public async Task NotifyAsync(TicketStatusChanged change, CancellationToken ct)
    {
        var greeting = string.IsNullOrWhiteSpace(change.CitizenName) ? "Hello," : $"Hello {change.CitizenName},";
        var html = $"<p>{WebUtility.HtmlEncode(greeting)}</p><p>{WebUtility.HtmlEncode(TicketNotificationQueue.TextOf(change))}</p>";
        await sender.SendAsync(new EmailMessage([change.CitizenEmail!], $"Ticket {change.Number}: {change.ToStatus.Replace('_', ' ')}", html, [], []),
            attempts: 1, firstRetryDelay: TimeSpan.Zero, ct);
    }
}
