namespace CityContact.Service.Features.Queues;

/// <summary>
/// A citizen to call back through a department's queue: when the request's turn comes, an agent of the department
/// is connected first, then the citizen is dialled. <see cref="TicketId"/> links the outcome to a ticket's history.
/// </summary>
public sealed record CallbackRequest(
    long DepartmentId,
    string Phone,
    long? TicketId,
    long? CallId,
    DateTimeOffset NotBefore,
    int Priority);

/// <summary>The queue's callback path, used by the queue itself (press 1 while waiting) and by voicemail tickets.</summary>
public interface ICallbackScheduler
{
    /// <summary>Stores the request durably (at most one open request per ticket or per call) and returns its id.</summary>
    Task<long> RequestAsync(CallbackRequest request, CancellationToken cancellationToken);
}
