namespace CityContact.Service.Features.Tickets;

public static class TicketStatuses
{
    public const string New = "new";
    public const string Assigned = "assigned";
    public const string InProgress = "in_progress";
    public const string Resolved = "resolved";
    public const string Closed = "closed";
    public const string Rejected = "rejected";
    public const string Duplicate = "duplicate";

    public static IReadOnlyList<string> All { get; } = [New, Assigned, InProgress, Resolved, Closed, Rejected, Duplicate];

    /// <summary>Still being worked on: counts for "overdue" and is "open" in Open311.</summary>
    public static IReadOnlyList<string> Open { get; } = [New, Assigned, InProgress];
}

/// <summary>The allowed moves between statuses; everything not listed is refused, naming what is allowed.</summary>
public static class TicketLifecycle
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        [TicketStatuses.New] = [TicketStatuses.Assigned, TicketStatuses.InProgress, TicketStatuses.Resolved, TicketStatuses.Rejected, TicketStatuses.Duplicate],
        [TicketStatuses.Assigned] = [TicketStatuses.InProgress, TicketStatuses.Resolved, TicketStatuses.Rejected, TicketStatuses.Duplicate],
        [TicketStatuses.InProgress] = [TicketStatuses.Assigned, TicketStatuses.Resolved, TicketStatuses.Rejected, TicketStatuses.Duplicate],
        // A citizen who says it is not fixed reopens the ticket; closing makes the resolution final.
        [TicketStatuses.Resolved] = [TicketStatuses.Closed, TicketStatuses.InProgress],
        [TicketStatuses.Closed] = [],
        [TicketStatuses.Rejected] = [],
        [TicketStatuses.Duplicate] = [],
    };

    public static IReadOnlyList<string> AllowedFrom(string status) => Allowed.TryGetValue(status, out var next) ? next : [];

    public static bool CanMove(string from, string to) => AllowedFrom(from).Contains(to);

    /// <summary>A ticket can be (re)assigned while work on it is not finished.</summary>
    public static bool CanAssign(string status) => TicketStatuses.Open.Contains(status);
}

public static class TicketKinds
{
    public const string Request = "request";
    public const string Complaint = "complaint";
    public const string Information = "information";
    public const string Callback = "callback";

    public static IReadOnlyList<string> All { get; } = [Request, Complaint, Information, Callback];
}

public static class TicketChannels
{
    public const string Phone = "phone";
    public const string Voicemail = "voicemail";
    public const string Web = "web";
    public const string Email = "email";
    public const string Open311 = "open311";

    public static IReadOnlyList<string> All { get; } = [Phone, Voicemail, Web, Email, Open311];
}

public static class TicketPriorities
{
    public const string Low = "low";
    public const string Normal = "normal";
    public const string High = "high";
    public const string Urgent = "urgent";

    public static IReadOnlyList<string> All { get; } = [Low, Normal, High, Urgent];
}

/// <summary>How a satisfaction rating reached us.</summary>
public static class RatingChannels
{
    public const string Api = "api";
    public const string Ivr = "ivr";
    public const string Phone = "phone";
    public const string Web = "web";
    public const string Email = "email";
    public const string Sms = "sms";

    public static IReadOnlyList<string> All { get; } = [Api, Ivr, Phone, Web, Email, Sms];
}

/// <summary>Who changes a ticket: an API key (its prefix and id), or a part of the service such as "ivr".</summary>
public sealed record TicketActor(string Name, long? KeyId = null)
{
    public static TicketActor Ivr { get; } = new("ivr");
}

public sealed record Ticket(
    long Id,
    string Number,
    string Kind,
    string Channel,
    string Status,
    string Priority,
    string Subject,
    string? Description,
    string? CitizenName,
    string? CitizenPhone,
    string? CitizenEmail,
    long? CategoryId,
    long? DepartmentId,
    long? CallId,
    long? AssignedAgentId,
    long? DuplicateOfTicketId,
    DateTime? DueAt,
    DateTime? ResolvedAt,
    string? Resolution,
    short? Rating,
    DateTime? RatedAt,
    string? RatingChannel,
    bool FlaggedForFollowUp,
    string? RecordingRef,
    double? Latitude,
    double? Longitude,
    string? Address,
    string? MediaUrl,
    DateTime CreatedAt,
    DateTime UpdatedAt)
{
    public bool IsOverdue(DateTimeOffset now) => DueAt is { } due && due < now.UtcDateTime && TicketStatuses.Open.Contains(Status);
}

/// <summary>Everything a new ticket is created with; the number, status and timestamps come from the store.</summary>
public sealed record NewTicket(
    string Kind,
    string Channel,
    string Subject,
    string? Description = null,
    string Priority = TicketPriorities.Normal,
    string? CitizenName = null,
    string? CitizenPhone = null,
    string? CitizenEmail = null,
    long? CategoryId = null,
    long? DepartmentId = null,
    long? CallId = null,
    DateTime? DueAt = null,
    string? RecordingRef = null,
    double? Latitude = null,
    double? Longitude = null,
    string? Address = null,
    string? MediaUrl = null);

public sealed record TicketHistoryEntry(
    long Id, long TicketId, DateTime At, string Actor, long? ActorKeyId, string Action, string? FromStatus, string? ToStatus, string? Note, string Data);

public sealed record TicketFilter(
    IReadOnlyList<string>? Statuses = null,
    string? DepartmentCode = null,
    bool? Overdue = null,
    DateTime? From = null,
    DateTime? To = null,
    string? CitizenPhone = null,
    IReadOnlyList<long>? CategoryIds = null,
    IReadOnlyList<long>? Ids = null);

/// <summary>What a status change asks for; <see cref="Resolution"/> and <see cref="DuplicateOfTicketId"/> only where the target needs them.</summary>
public sealed record StatusChange(string Status, string? Note = null, string? Resolution = null, long? DuplicateOfTicketId = null);

/// <summary>The outcome of a change: applied (with the previous status), the ticket is missing, or the change is refused.</summary>
public abstract record TicketChange
{
    public sealed record Applied(Ticket Ticket, string PreviousStatus) : TicketChange;

    public sealed record NotFound : TicketChange;

    /// <summary>Refused because of the ticket's current state; <see cref="Allowed"/> lists the moves that are possible from it.</summary>
    public sealed record Refused(string CurrentStatus, string Reason, IReadOnlyList<string> Allowed) : TicketChange;
}
