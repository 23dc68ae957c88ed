using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using CityContact.Service.Features.Auth;
using CityContact.Service.Infrastructure.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityContact.Service.Features.Tickets;

public sealed record CreateTicketRequest(
    string? Kind,
    string? Channel,
    string? Subject,
    string? Description,
    string? Priority,
    long? CategoryId,
    long? DepartmentId,
    string? CitizenName,
    string? CitizenPhone,
    string? CitizenEmail,
    long? CallId = null);

public sealed record AssignRequest(long? AgentId, string? Note);

public sealed record StatusChangeRequest(string? Status, string? Note, string? Resolution, long? DuplicateOfTicketId);

public sealed record NoteRequest(string? Note);

public sealed record ResolveRequest(string? Resolution, string? Note);

public sealed record RatingRequest(int? Rating, string? Channel);

/// <summary>A ticket with the citizen's contact: only answered where the read is audited (or the caller sent it).</summary>
public sealed record TicketView(
    long Id, string Number, string Kind, string Channel, string Status, string Priority, string Subject, string? Description,
    string? CitizenName, string? CitizenPhone, string? CitizenEmail, long? CategoryId, long? DepartmentId, long? CallId,
    long? AssignedAgentId, long? DuplicateOfTicketId, DateTime? DueAt, bool Overdue, DateTime? ResolvedAt, string? Resolution,
    short? Rating, DateTime? RatedAt, string? RatingChannel, bool FlaggedForFollowUp, string? RecordingRef,
    double? Latitude, double? Longitude, string? Address, string? MediaUrl, DateTime CreatedAt, DateTime UpdatedAt,
    IReadOnlyList<string> AllowedTransitions)
{
    public static TicketView Of(Ticket t, DateTimeOffset now) => new(
        t.Id, t.Number, t.Kind, t.Channel, t.Status, t.Priority, t.Subject, t.Description, t.CitizenName, t.CitizenPhone, t.CitizenEmail,
        t.CategoryId, t.DepartmentId, t.CallId, t.AssignedAgentId, t.DuplicateOfTicketId, t.DueAt, t.IsOverdue(now), t.ResolvedAt,
        t.Resolution, t.Rating, t.RatedAt, t.RatingChannel, t.FlaggedForFollowUp, t.RecordingRef, t.Latitude, t.Longitude, t.Address,
        t.MediaUrl, t.CreatedAt, t.UpdatedAt, TicketLifecycle.AllowedFrom(t.Status));
}

/// <summary>A ticket in a list: no personal data, so that lists need no audit row per ticket.</summary>
public sealed record TicketSummary(
    long Id, string Number, string Kind, string Channel, string Status, string Priority, string Subject, long? CategoryId,
    long? DepartmentId, long? AssignedAgentId, DateTime? DueAt, bool Overdue, short? Rating, bool FlaggedForFollowUp,
    DateTime CreatedAt, DateTime UpdatedAt)
{
    public static TicketSummary Of(Ticket t, DateTimeOffset now) => new(
        t.Id, t.Number, t.Kind, t.Channel, t.Status, t.Priority, t.Subject, t.CategoryId, t.DepartmentId, t.AssignedAgentId,
        t.DueAt, t.IsOverdue(now), t.Rating, t.FlaggedForFollowUp, t.CreatedAt, t.UpdatedAt);
}

public sealed record TicketHistoryView(
    long Id, DateTime At, string Actor, long? ActorKeyId, string Action, string? FromStatus, string? ToStatus, string? Note, JsonElement Data)
{
    public static TicketHistoryView Of(TicketHistoryEntry e) =>
        new(e.Id, e.At, e.Actor, e.ActorKeyId, e.Action, e.FromStatus, e.ToStatus, e.Note, JsonSerializer.Deserialize<JsonElement>(e.Data));
}

/// <summary>
/// The ticket lifecycle over REST for agents and supervisors. Each change commits with its history row; a move the
/// lifecycle does not allow is answered 409 problem+json listing the allowed ones (<c>allowedTransitions</c>).
/// </summary>
public static class TicketsEndpoints
{
    private const int MaxNote = 4000;

    public static void MapTickets(this IEndpointRouteBuilder endpoints)
    {
        var tickets = endpoints.MapGroup("/api/tickets").WithTags("Tickets").RequireRoles(Roles.Agent, Roles.Supervisor);
        tickets.MapPost("/", CreateAsync);
        tickets.MapGet("/", SearchAsync);
        tickets.MapGet("/{id:long}", GetAsync);
        tickets.MapGet("/{id:long}/history", HistoryAsync);
        tickets.MapPost("/{id:long}/assign", AssignAsync);
        tickets.MapPost("/{id:long}/status", ChangeStatusAsync);
        tickets.MapPost("/{id:long}/notes", AddNoteAsync);
        tickets.MapPost("/{id:long}/resolve", ResolveAsync);
        tickets.MapPost("/{id:long}/rating", RateAsync);
    }

    public static TicketActor ActorOf(HttpContext http) =>
        new(KeysEndpoints.Actor(http),
            long.TryParse(http.User.FindFirstValue(ApiKeyAuthentication.KeyIdClaim), CultureInfo.InvariantCulture, out var keyId) ? keyId : null);

    private static async Task<Results<Created<TicketView>, ValidationProblem>> CreateAsync(
        CreateTicketRequest request, TicketService service, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        Require(errors, "kind", request.Kind, TicketKinds.All, required: true);
        Require(errors, "channel", request.Channel, TicketChannels.All, required: false);
        Require(errors, "priority", request.Priority, TicketPriorities.All, required: false);
        if (string.IsNullOrWhiteSpace(request.Subject) && string.IsNullOrWhiteSpace(request.Description))
        {
            errors["description"] = ["a description (or a subject) is required"];
        }
        if (request.Description?.Length > 10000)
        {
            errors["description"] = ["description is at most 10000 characters"];
        }
        if (request.Subject?.Length > 300)
        {
            errors["subject"] = ["subject is at most 300 characters"];
        }
        if (request.CategoryId is null && request.DepartmentId is null)
        {
            errors["categoryId"] = ["categoryId (or, without a category, departmentId) is required"];
        }
        if (request.CitizenName?.Length > 200)
        {
            errors["citizenName"] = ["citizenName is at most 200 characters"];
        }
        if (!string.IsNullOrWhiteSpace(request.CitizenPhone) && service.NormalisePhone(request.CitizenPhone) is null)
        {
            errors["citizenPhone"] = ["citizenPhone is not a phone number (E.164 such as +40722123456, or a national number)"];
        }
        if (!string.IsNullOrWhiteSpace(request.CitizenEmail)
            && !(System.Net.Mail.MailAddress.TryCreate(request.CitizenEmail.Trim(), out var email) && email.Address == request.CitizenEmail.Trim()))
        {
            errors["citizenEmail"] = ["citizenEmail is not an email address"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        try
        {
            var ticket = await service.CreateAsync(new TicketDraft(
                request.Kind!, request.Channel ?? TicketChannels.Web, request.Subject?.Trim(), request.Description?.Trim(),
                request.Priority ?? TicketPriorities.Normal, request.CategoryId, request.DepartmentId,
                Trimmed(request.CitizenName), Trimmed(request.CitizenPhone), Trimmed(request.CitizenEmail), CallId: request.CallId), ActorOf(http), ct);
            return TypedResults.Created($"/api/tickets/{ticket.Id}", TicketView.Of(ticket, service.Now));
        }
        catch (TicketDraftException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Field] = [e.Message] });
        }
    }

    private static async Task<Results<Ok<Page<TicketSummary>>, ValidationProblem>> SearchAsync(
        TicketService service, HttpContext http, string? status, string? department, bool? overdue, DateTimeOffset? from, DateTimeOffset? to,
        string? citizenPhone, int? limit, int? offset, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var page = PageRequest.From(limit, offset, errors);
        string[]? statuses = status is null ? null : status.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (statuses is not null && (statuses.Length == 0 || statuses.Any(s => !TicketStatuses.All.Contains(s))))
        {
            errors["status"] = [$"status must be one or more (comma-separated) of {string.Join(", ", TicketStatuses.All)}"];
        }
        if (from is not null && to is not null && to <= from)
        {
            errors["to"] = ["to must be after from"];
        }
        string? phone = null;
        if (!string.IsNullOrWhiteSpace(citizenPhone) && (phone = service.NormalisePhone(citizenPhone)) is null)
        {
            errors["citizenPhone"] = ["citizenPhone is not a phone number"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var filter = new TicketFilter(statuses, Trimmed(department), overdue, from?.UtcDateTime, to?.UtcDateTime, phone);
        var found = await service.SearchAsync(filter, page, ActorOf(http), ProblemSetup.TraceIdOf(http), ct);
        var now = service.Now;
        return TypedResults.Ok(new Page<TicketSummary>([.. found.Items.Select(t => TicketSummary.Of(t, now))], found.Total, found.NextOffset));
    }

    private static async Task<Results<Ok<TicketView>, ProblemHttpResult>> GetAsync(long id, TicketService service, HttpContext http, CancellationToken ct) =>
        await service.ReadAsync(id, ActorOf(http), ProblemSetup.TraceIdOf(http), ct) is { } ticket
            ? TypedResults.Ok(TicketView.Of(ticket, service.Now))
            : Problems.NotFound($"Ticket {id}");

    private static async Task<Results<Ok<Page<TicketHistoryView>>, ProblemHttpResult>> HistoryAsync(
        long id, TicketService service, TicketStore store, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct) is null)
        {
            return Problems.NotFound($"Ticket {id}");
        }
        return TypedResults.Ok(Page.All<TicketHistoryView>([.. (await service.HistoryAsync(id, ct)).Select(TicketHistoryView.Of)]));
    }

    private static async Task<Results<Ok<TicketView>, ValidationProblem, ProblemHttpResult>> AssignAsync(
        long id, AssignRequest request, TicketService service, Agents.AgentStore agents, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.AgentId is null or < 1)
        {
            errors["agentId"] = ["agentId is required"];
        }
        else if (await agents.GetAsync(request.AgentId.Value, ct) is null)
        {
            errors["agentId"] = [$"no agent with id {request.AgentId}"];
        }
        CheckNote(errors, request.Note, required: false);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : await AnswerAsync(id, await service.AssignAsync(id, request.AgentId!.Value, Trimmed(request.Note), ActorOf(http), ct), service, http, "assign", ct);
    }

    private static async Task<Results<Ok<TicketView>, ValidationProblem, ProblemHttpResult>> ChangeStatusAsync(
        long id, StatusChangeRequest request, TicketService service, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        Require(errors, "status", request.Status, TicketStatuses.All, required: true);
        CheckNote(errors, request.Note, required: false);
        if (request.Status == TicketStatuses.Resolved)
        {
            CheckResolution(errors, request.Resolution);
        }
        if (request.Status == TicketStatuses.Duplicate && (request.DuplicateOfTicketId is null || request.DuplicateOfTicketId == id))
        {
            errors["duplicateOfTicketId"] = ["duplicateOfTicketId (another ticket) is required for status duplicate"];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }
        var change = new StatusChange(request.Status!, Trimmed(request.Note), Trimmed(request.Resolution), request.DuplicateOfTicketId);
        return await AnswerAsync(id, await service.ChangeStatusAsync(id, change, ActorOf(http), ct), service, http, "status", ct);
    }

    private static async Task<Results<Ok<TicketView>, ValidationProblem, ProblemHttpResult>> AddNoteAsync(
        long id, NoteRequest request, TicketService service, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        CheckNote(errors, request.Note, required: true);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : await AnswerAsync(id, await service.AddNoteAsync(id, request.Note!.Trim(), ActorOf(http), ct), service, http, "notes", ct);
    }

    private static async Task<Results<Ok<TicketView>, ValidationProblem, ProblemHttpResult>> ResolveAsync(
        long id, ResolveRequest request, TicketService service, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        CheckResolution(errors, request.Resolution);
        CheckNote(errors, request.Note, required: false);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : await AnswerAsync(id, await service.ResolveAsync(id, request.Resolution!.Trim(), Trimmed(request.Note), ActorOf(http), ct), service, http, "resolve", ct);
    }

    private static async Task<Results<Ok<TicketView>, ValidationProblem, ProblemHttpResult>> RateAsync(
        long id, RatingRequest request, TicketService service, HttpContext http, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Rating is null or < 1 or > 5)
        {
            errors["rating"] = ["rating must be a whole number from 1 to 5"];
        }
        Require(errors, "channel", request.Channel, RatingChannels.All, required: false);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : await AnswerAsync(id, await service.RecordRatingAsync(id, request.Rating!.Value, request.Channel ?? RatingChannels.Api, ActorOf(http), ct), service, http, "rating", ct);
    }

    /// <summary>The changed ticket, with its personal data, after the disclosure is audited (<c>ticket.read_after_&lt;route&gt;</c>).</summary>
    private static async Task<Results<Ok<TicketView>, ValidationProblem, ProblemHttpResult>> AnswerAsync(
        long id, TicketChange outcome, TicketService service, HttpContext http, string route, CancellationToken ct)
    {
        if (outcome is TicketChange.Applied applied)
        {
            await service.AuditDisclosureAsync(applied.Ticket, $"ticket.read_after_{route}", ActorOf(http), ProblemSetup.TraceIdOf(http), ct);
        }
        return Answer(id, outcome, service.Now);
    }

    private static Results<Ok<TicketView>, ValidationProblem, ProblemHttpResult> Answer(long id, TicketChange outcome, DateTimeOffset now) => outcome switch
    {
        TicketChange.Applied applied => TypedResults.Ok(TicketView.Of(applied.Ticket, now)),
        TicketChange.Refused refused => TypedResults.Problem(
            title: "The ticket's status does not allow this",
            detail: $"{refused.Reason}. Allowed from {refused.CurrentStatus}: "
                + (refused.Allowed.Count == 0 ? "none (final status)" : string.Join(", ", refused.Allowed)) + ".",
            statusCode: StatusCodes.Status409Conflict,
            extensions: new Dictionary<string, object?> { ["currentStatus"] = refused.CurrentStatus, ["allowedTransitions"] = refused.Allowed }),
        _ => Problems.NotFound($"Ticket {id}"),
    };

    private static void Require(Dictionary<string, string[]> errors, string field, string? value, IReadOnlyList<string> allowed, bool required)
    {
        if ((value is null && required) || (value is not null && !allowed.Contains(value)))
        {
            errors[field] = [$"{field} must be one of {string.Join(", ", allowed)}"];
        }
    }

    private static void CheckNote(Dictionary<string, string[]> errors, string? note, bool required)
    {
        if ((required && string.IsNullOrWhiteSpace(note)) || note?.Length > MaxNote)
        {
            errors["note"] = [$"note is {(required ? "required, " : "")}at most {MaxNote} characters"];
        }
    }

    private static void CheckResolution(Dictionary<string, string[]> errors, string? resolution)
    {
        if (string.IsNullOrWhiteSpace(resolution) || resolution.Trim().Length > 4000)
        {
            errors["resolution"] = ["resolution is required to resolve a ticket (at most 4000 characters)"];
        }
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
