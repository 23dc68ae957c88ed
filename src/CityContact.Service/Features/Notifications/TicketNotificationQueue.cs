using System.Threading.Channels;
using CityContact.Service.Features.Tickets;

namespace CityContact.Service.Features.Notifications;

/// <summary>
/// Delivers status changes to the configured notifiers after the change has committed. A notifier that fails is
/// retried with exponential back-off up to Notifications:Attempts; the change itself is never undone. The queue
/// lives in memory: notifications still pending when the service stops are logged, not persisted.
/// </summary>
public sealed class TicketNotificationQueue(
    IEnumerable<ITicketNotifier> notifiers, IOptions<NotificationsOptions> options, TimeProvider time, ILogger<TicketNotificationQueue> logger)
    : BackgroundService
{
    private readonly Channel<(TicketStatusChanged Change, ITicketNotifier Notifier)> pending =
        Channel.CreateUnbounded<(TicketStatusChanged, ITicketNotifier)>();

    private readonly ITicketNotifier[] notifiers = [.. notifiers];

    public void Enqueue(TicketStatusChanged change)
    {
        foreach (var notifier in notifiers.Where(n => n.CanNotify(change)))
        {
            pending.Writer.TryWrite((change, notifier));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var deliveries = new List<Task>();
        try
        {
            await foreach (var (change, notifier) in pending.Reader.ReadAllAsync(stoppingToken))
            {
                deliveries.RemoveAll(t => t.IsCompleted);
                // Each delivery retries on its own clock, so one slow gateway does not hold up the others.
                deliveries.Add(DeliverAsync(change, notifier, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            var left = deliveries.Count(t => !t.IsCompleted) + pending.Reader.Count;
            if (left > 0)
            {
                logger.LogWarning("{Count} ticket notification(s) not delivered: the service is stopping", left);
            }
        }
    }

    private async Task DeliverAsync(TicketStatusChanged change, ITicketNotifier notifier, CancellationToken ct)
    {
        var settings = options.Value;
        var delay = TimeSpan.FromSeconds(settings.FirstRetrySeconds);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["TicketNumber"] = change.Number });
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await notifier.NotifyAsync(change, ct);
                logger.LogInformation("Ticket {TicketNumber} {Status}: {Notifier} notification sent (attempt {Attempt})",
                    change.Number, change.ToStatus, notifier.Name, attempt);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (attempt >= settings.Attempts)
                {
                    logger.LogError("Ticket {TicketNumber} {Status}: {Notifier} notification given up after {Attempt} attempt(s): {Error}",
                        change.Number, change.ToStatus, notifier.Name, attempt, e.Message);
                    return;
                }
                logger.LogWarning("Ticket {TicketNumber} {Status}: {Notifier} notification failed (attempt {Attempt} of {Attempts}), retrying in {Delay}: {Error}",
                    change.Number, change.ToStatus, notifier.Name, attempt, settings.Attempts, delay, e.Message);
                try
                {
                    await Task.Delay(delay, time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay *= 2;
            }
        }
    }

    /// <summary>The text citizens receive, in the ticket's words; shared by the email and SMS notifiers.</summary>
    public static string TextOf(TicketStatusChanged change) => change.ToStatus switch
    {
        TicketStatuses.Resolved => $"Ticket {change.Number} is resolved: {change.Resolution}",
        TicketStatuses.InProgress => $"Ticket {change.Number} is being worked on.",
        TicketStatuses.Assigned => $"Ticket {change.Number} has been assigned to a colleague.",
        TicketStatuses.Closed => $"Ticket {change.Number} is closed.",
        TicketStatuses.Rejected => $"Ticket {change.Number} was rejected.",
        TicketStatuses.Duplicate => $"Ticket {change.Number} duplicates an earlier request and is followed there.",
        _ => $"Ticket {change.Number} is now {change.ToStatus}.",
    };
}
