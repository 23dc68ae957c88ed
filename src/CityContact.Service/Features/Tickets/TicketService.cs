using System.Globalization;
using CityContact.Service.Features.Audit;
using CityContact.Service.Features.Notifications;
using CityContact.Service.Infrastructure.Configuration;
using CityContact.Service.Infrastructure.Http;

namespace CityContact.Service.Features.Tickets;

/// <summary>What a caller learns about a ticket by phone: no personal data, only where it stands.</summary>
public sealed record TicketStatusForCaller(string Number, string Status, DateTime? DueAt, DateTime UpdatedAt);

/// <summary>A ticket asked for by a person or an app; the category, when given, decides department and SLA.</summary>
public sealed record TicketDraft(
    string Kind,
    string Channel,
    string? Subject,
    string? Description,
    string Priority = TicketPriorities.Normal,
    long? CategoryId = null,
    long? DepartmentId = null,
    string? CitizenName = null,
    string? CitizenPhone = null,
    string? CitizenEmail = null,
    long? CallId = null,
    string? RecordingRef = null,
    double? Latitude = null,
    double? Longitude = null,
    string? Address = null,
    string? MediaUrl = null);

/// <summary>The category or department a draft names does not exist (or is inactive): a 400 naming the field.</summary>
public sealed class TicketDraftException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// The ticket rules in one place, for the REST API, Open311 and the IVR (voicemail, status by phone, surveys):
/// numbers and due times at creation, audited reads of personal data, notifications after each committed status change.
/// </summary>
public sealed class TicketService(
    TicketStore tickets,
    CategoryStore categories,
    SlaDeadlines deadlines,
    AuditLog audit,
    TicketNotificationQueue notifications,
    TimeProvider time,
    IOptions<TicketsOptions> options,
    IOptions<CityOptions> city,
    ILogger<TicketService> logger)
{
    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>The country a national number belongs to (Tickets:CountryCode, e.g. 40).</summary>
    public string CountryCode => options.Value.CountryCode;

    public string? NormalisePhone(string? phone) => PhoneNumbers.ToE164(phone, options.Value.CountryCode);

    /// <summary>Creates the ticket; throws <see cref="TicketDraftException"/> for an unknown or inactive category.</summary>
    public async Task<Ticket> CreateAsync(TicketDraft draft, TicketActor actor, CancellationToken ct)
    {
        var now = Now;
        var departmentId = draft.DepartmentId;
        DateTimeOffset? dueAt = null;
        if (draft.CategoryId is { } categoryId)
        {
            if (await categories.GetAsync(categoryId, ct) is not { Active: true } category)
            {
                throw new TicketDraftException("categoryId", $"category {categoryId} does not exist or is inactive");
            }
            departmentId = category.DepartmentId;
            dueAt = await deadlines.DueAtAsync(category.DepartmentId, category.SlaBusinessHours, now, ct);
        }
        var zone = TimeZoneInfo.FindSystemTimeZoneById(city.Value.TimeZone);
        var year = TimeZoneInfo.ConvertTime(now, zone).Year;
        var ticket = await tickets.CreateAsync(new NewTicket(
            draft.Kind,
            draft.Channel,
            SubjectOf(draft),
            draft.Description,
            draft.Priority,
            draft.CitizenName,
            NormalisePhone(draft.CitizenPhone) ?? NullIfBlank(draft.CitizenPhone),
            draft.CitizenEmail,
            draft.CategoryId,
            departmentId,
            draft.CallId,
            dueAt?.UtcDateTime,
            draft.RecordingRef,
            draft.Latitude,
            draft.Longitude,
            draft.Address,
            draft.MediaUrl), options.Value.NumberPrefix, year, now, actor, ct);
        logger.LogInformation("Ticket {TicketNumber} created by {Actor} via {Channel} for {CitizenPhone}, due {DueAt:O}",
            ticket.Number, actor.Name, ticket.Channel, PhoneNumbers.Mask(ticket.CitizenPhone), ticket.DueAt);
        return ticket;
    }

    /// <summary>
    /// The ticket for a voicemail message: kind callback, channel voicemail, the caller's number and the recording.
    /// Its due time follows the department's schedule with the SLA of <paramref name="categoryCode"/>, when given.
    /// </summary>
    public async Task<Ticket> CreateFromVoicemailAsync(
        string callerPhone, long? departmentId, long? callId, string recordingRef, string? categoryCode, CancellationToken ct)
    {
        var category = categoryCode is null ? null : await categories.FindByCodeAsync(categoryCode, ct);
        return await CreateAsync(new TicketDraft(
            TicketKinds.Callback, TicketChannels.Voicemail, "Voicemail message", null,
            CategoryId: category?.Id, DepartmentId: category is null ? departmentId : null,
            CitizenPhone: callerPhone, CallId: callId, RecordingRef: recordingRef), TicketActor.Ivr, ct);
    }

    /// <summary>The ticket with its personal data; the read is audited (who, when, which ticket) before it is returned.</summary>
    public async Task<Ticket?> ReadAsync(long id, TicketActor reader, string? traceId, CancellationToken ct)
    {
        if (await tickets.GetAsync(id, ct) is not { } ticket)
        {
            return null;
        }
        await AuditDisclosureAsync(ticket, "ticket.read", reader, traceId, ct);
        return ticket;
    }

    /// <summary>
    /// Every answer that carries the citizen's name, phone or email is audited like a read: the change endpoints
    /// (assign, status, notes, resolve, rating) answer the whole ticket too. <paramref name="action"/> says which.
    /// </summary>
    public Task AuditDisclosureAsync(Ticket ticket, string action, TicketActor reader, string? traceId, CancellationToken ct) =>
        audit.AppendAsync(new AuditEntry(reader.Name, action, "ticket", ticket.Id.ToString(CultureInfo.InvariantCulture), traceId,
            new { ticket.Number, keyId = reader.KeyId, fields = PersonalFieldsOf(ticket) }), ct);

    /// <summary>Search results carry no personal data; a search by a citizen's phone number is itself audited.</summary>
    public async Task<Page<Ticket>> SearchAsync(TicketFilter filter, PageRequest page, TicketActor reader, string? traceId, CancellationToken ct)
    {
        var found = await tickets.SearchAsync(filter, page, Now, ct);
        if (filter.CitizenPhone is not null)
        {
            await audit.AppendAsync(new AuditEntry(reader.Name, "ticket.searched_by_phone", "ticket", null, traceId,
                new { keyId = reader.KeyId, phone = PhoneNumbers.Mask(filter.CitizenPhone), ticketIds = found.Items.Select(t => t.Id) }), ct);
        }
        return found;
    }

    public Task<IReadOnlyList<TicketHistoryEntry>> HistoryAsync(long id, CancellationToken ct) => tickets.HistoryAsync(id, ct);

    public async Task<TicketChange> ChangeStatusAsync(long id, StatusChange change, TicketActor actor, CancellationToken ct) =>
        Notify(await tickets.ChangeStatusAsync(id, change, actor, ct), actor);

    public async Task<TicketChange> AssignAsync(long id, long agentId, string? note, TicketActor actor, CancellationToken ct) =>
        Notify(await tickets.AssignAsync(id, agentId, note, actor, ct), actor);

    public async Task<TicketChange> ResolveAsync(long id, string resolution, string? note, TicketActor actor, CancellationToken ct) =>
        Notify(await tickets.ChangeStatusAsync(id, new StatusChange(TicketStatuses.Resolved, note, resolution), actor, ct), actor);

    public Task<TicketChange> AddNoteAsync(long id, string note, TicketActor actor, CancellationToken ct) =>
        tickets.AddNoteAsync(id, note, actor, ct);

    /// <summary>
    /// Stores a 1–5 rating (from the API, the IVR survey node or the outbound survey call). Below the running
    /// average, the ticket is flagged for supervisor follow-up.
    /// </summary>
    public async Task<TicketChange> RecordRatingAsync(long ticketId, int rating, string channel, TicketActor? actor, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rating, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rating, 5);
        var outcome = await tickets.RateAsync(ticketId, (short)rating, channel, actor ?? TicketActor.Ivr, ct);
        if (outcome is TicketChange.Applied { Ticket: { FlaggedForFollowUp: true } flagged })
        {
            logger.LogInformation("Ticket {TicketNumber} rated {Rating}: flagged for supervisor follow-up", flagged.Number, rating);
        }
        return outcome;
    }

    /// <summary>
    /// The status of ticket <paramref name="number"/> for an IVR caller, only when the call comes from the number that
    /// filed it. Unknown ticket and wrong caller answer the same (null), so the keypad cannot probe for tickets.
    /// A keypad has no letters: ten digits (2026000123) stand for the number with the configured prefix (TM-2026-000123).
    /// </summary>
    public async Task<TicketStatusForCaller?> GetStatusForCallerAsync(string number, string callerPhone, CancellationToken ct)
    {
        var caller = NormalisePhone(callerPhone);
        var typed = number.Trim();
        var full = typed.Length == 10 && typed.All(char.IsAsciiDigit)
            ? $"{options.Value.NumberPrefix}-{typed[..4]}-{typed[4..]}"
            : typed.ToUpperInvariant();
        if (caller is null || await tickets.FindByNumberAsync(full, ct) is not { } ticket || ticket.CitizenPhone != caller)
        {
            logger.LogInformation("Ticket status by phone refused for {TicketNumber} from {CallerPhone}", number, PhoneNumbers.Mask(caller ?? callerPhone));
            return null;
        }
        await audit.AppendAsync(new AuditEntry(TicketActor.Ivr.Name, "ticket.status_read_by_caller", "ticket",
            ticket.Id.ToString(CultureInfo.InvariantCulture), null, new { ticket.Number }), ct);
        return new TicketStatusForCaller(ticket.Number, ticket.Status, ticket.DueAt, ticket.UpdatedAt);
    }

    private TicketChange Notify(TicketChange outcome, TicketActor actor)
    {
        if (outcome is TicketChange.Applied { Ticket: var ticket, PreviousStatus: var previous } && previous != ticket.Status)
        {
            logger.LogInformation("Ticket {TicketNumber} moved from {FromStatus} to {ToStatus} by {Actor}", ticket.Number, previous, ticket.Status, actor.Name);
            notifications.Enqueue(new TicketStatusChanged(ticket.Id, ticket.Number, previous, ticket.Status, ticket.Resolution,
                ticket.CitizenName, ticket.CitizenEmail, ticket.CitizenPhone, ticket.UpdatedAt));
        }
        return outcome;
    }

    private static string[] PersonalFieldsOf(Ticket ticket) =>
        [.. new[] { ("citizenName", ticket.CitizenName), ("citizenPhone", ticket.CitizenPhone), ("citizenEmail", ticket.CitizenEmail) }
            .Where(f => f.Item2 is not null).Select(f => f.Item1)];

    private static string SubjectOf(TicketDraft draft)
    {
        var subject = NullIfBlank(draft.Subject) ?? NullIfBlank(draft.Description?.Split('\n')[0]) ?? $"{draft.Kind} via {draft.Channel}";
        return subject.Length <= 120 ? subject : subject[..119] + "…";
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
