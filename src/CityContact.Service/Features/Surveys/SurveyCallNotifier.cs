using CityContact.Service.Features.Notifications;
using CityContact.Service.Features.Tickets;

namespace CityContact.Service.Features.Surveys;

/// <summary>
/// When a ticket is resolved, calls the citizen back for a 1–5 rating (Surveys:OutboundCalls), inside calling hours
/// (<see cref="SurveyCallScheduler"/>). It rides the notifier path, so a failed originate is retried like a failed
/// email. The number must pass Surveys:AllowedNumbers; a refusal is logged (masked) and noted on the ticket's history,
/// and not retried. Once answered, the call runs <see cref="SurveyFlow"/> in the IVR with the ticket in the call's
/// <c>ticket</c> variable. (Notes go through the store: TicketService depends on the notifiers.)
/// </summary>
public sealed class SurveyCallNotifier(SurveyCallScheduler surveys, IOptions<SurveyOptions> options) : ITicketNotifier
{
    public string Name => "survey-call";

    public bool CanNotify(TicketStatusChanged change) =>
        options.Value.OutboundCalls && change.ToStatus == TicketStatuses.Resolved && !string.IsNullOrWhiteSpace(change.CitizenPhone);

    public Task NotifyAsync(TicketStatusChanged change, CancellationToken ct) => surveys.PlanAsync(change.TicketId, ct);
}
