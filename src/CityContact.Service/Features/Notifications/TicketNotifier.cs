namespace CityContact.Service.Features.Notifications;

/// <summary>A ticket moved from one status to another; sent to the citizen who filed it.</summary>
public sealed record TicketStatusChanged(
    long TicketId,
    string Number,
    string FromStatus,
    string ToStatus,
    string? Resolution,
    string? CitizenName,
    string? CitizenEmail,
    string? CitizenPhone,
    DateTime At);

/// <summary>One way of telling a citizen about their ticket (email, SMS). Throwing means "try again later".</summary>
public interface ITicketNotifier
{
    /// <summary>Short name for logs, e.g. "email".</summary>
    string Name { get; }

    /// <summary>False when the change has no recipient for this notifier (no email address, no phone number).</summary>
    bool CanNotify(TicketStatusChanged change);

    Task NotifyAsync(TicketStatusChanged change, CancellationToken ct);
}
