using System.Globalization;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari.Rest;
using Quartz;

namespace CityContact.Service.Features.Surveys;

/// <summary>
/// When the survey call of a resolved ticket is placed. Calling hours are the business hours of the ticket's department
/// (its schedule, else Tickets:DefaultScheduleCode, else Monday–Friday 08:00–16:00 in City:TimeZone, with holidays):
/// the calendar voicemail callbacks use, so the city calls citizens when it answers them. Inside those hours the call is
/// placed at once; outside them a Quartz job (clustered store: one instance fires it) places it at the next opening.
/// There is one job per ticket, so resolving again replaces the plan instead of adding a call. Whenever the call is
/// about to be placed the ticket is read again: it must still be resolved, unrated, and not yet called for this
/// resolution (the "placed" note in its history says so), otherwise nothing is dialled.
/// </summary>
public sealed partial class SurveyCallScheduler(
    AsteriskConnection asterisk, TicketStore tickets, SlaDeadlines calendars, ISchedulerFactory schedulers,
    IOptions<SurveyOptions> options, TimeProvider time, ILogger<SurveyCallScheduler> logger)
{
    /// <summary>The ticket history's actor for everything the survey call writes.</summary>
    public static readonly TicketActor Actor = new("survey");

    /// <summary>Noted on the ticket when the call is placed: the mark that this resolution has had its call.</summary>
    public const string PlacedNote = "Survey call placed";

    private const string Group = "surveys";

    public static JobKey JobKeyOf(long ticketId) => new($"survey-{ticketId.ToString(CultureInfo.InvariantCulture)}", Group);

    /// <summary>On resolution: refused by the allow-list, placed now, or planned for the next opening.</summary>
    public async Task PlanAsync(long ticketId, CancellationToken ct)
    {
        var ticket = await tickets.GetAsync(ticketId, ct);
        if (ticket is null || WhyNotDue(ticket) is not null)
        {
            return;
        }
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["TicketNumber"] = ticket.Number });
        if (!options.Value.IsAllowed(ticket.CitizenPhone!))
        {
            LogRefused(ticket.Number, Tickets.PhoneNumbers.Mask(ticket.CitizenPhone));
            await tickets.AddNoteAsync(ticket.Id, "Survey call not placed: the number is not in Surveys:AllowedNumbers", Actor, ct);
            return;
        }
        var now = time.GetUtcNow();
        var calendar = await calendars.CalendarForAsync(ticket.DepartmentId, ct);
        var opening = calendar.Add(now, TimeSpan.Zero);
        var scheduler = await schedulers.GetScheduler(ct);
        if (opening <= now)
        {
            // A plan left from an earlier resolution made at night would call a second time.
            await scheduler.DeleteJob(JobKeyOf(ticket.Id), ct);
            await PlaceAsync(ticket, ct);
            return;
        }
        var job = JobBuilder.Create<SurveyCallJob>().WithIdentity(JobKeyOf(ticket.Id)).Build();
        // Replacing the job drops every trigger of an earlier plan for this ticket with it.
        await scheduler.DeleteJob(job.Key, ct);
        await scheduler.ScheduleJob(job, [Trigger(ticket, opening, attempt: 1)], new ScheduleJobOptions { Replace = true }, ct);
        var local = TimeZoneInfo.ConvertTime(opening, calendar.TimeZone);
        LogPlanned(ticket.Number, opening);
        await tickets.AddNoteAsync(ticket.Id,
            $"Survey call planned for {local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} ({calendar.TimeZone.Id}): resolved outside calling hours",
            Actor, ct);
    }

    /// <summary>
    /// The planned call falls due (<see cref="SurveyCallJob"/>): placed if the ticket still wants it and it is calling
    /// time (a job that fires late, after an outage at night, waits for the next opening again); a failed originate is
    /// retried Surveys:RetryMinutes later, Surveys:PlaceAttempts times in all.
    /// </summary>
    public async Task RunPlannedAsync(long ticketId, DateTime resolvedAt, int attempt, CancellationToken ct)
    {
        if (await tickets.GetAsync(ticketId, ct) is not { } ticket)
        {
            return;
        }
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["TicketNumber"] = ticket.Number });
        var reason = WhyNotDue(ticket)
            ?? (ticket.ResolvedAt != resolvedAt ? "the ticket was resolved again since" : null)
            ?? (await AlreadyCalledAsync(ticket, ct) ? "the citizen was already called for this resolution" : null);
        if (reason is not null)
        {
            LogSkipped(ticket.Number, reason);
            await tickets.AddNoteAsync(ticket.Id, $"Survey call not placed: {reason}", Actor, ct);
            return;
        }
        var now = time.GetUtcNow();
        var opening = (await calendars.CalendarForAsync(ticket.DepartmentId, ct)).Add(now, TimeSpan.Zero);
        var scheduler = await schedulers.GetScheduler(ct);
        if (opening > now)
        {
            LogPlanned(ticket.Number, opening);
            await scheduler.ScheduleJob(Trigger(ticket, opening, attempt), default, ct);
            return;
        }
        try
        {
            await PlaceAsync(ticket, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var settings = options.Value;
            if (attempt >= settings.PlaceAttempts)
            {
                LogGivenUp(e, ticket.Number, attempt);
                await tickets.AddNoteAsync(ticket.Id, $"Survey call not placed: {attempt} attempt(s) failed ({e.Message})", Actor, ct);
                return;
            }
            var retryAt = now.AddMinutes(settings.RetryMinutes);
            LogRetrying(e, ticket.Number, attempt, retryAt);
            await scheduler.ScheduleJob(Trigger(ticket, retryAt, attempt + 1), default, ct);
        }
    }

    private async Task PlaceAsync(Ticket ticket, CancellationToken ct)
    {
        var settings = options.Value;
        var channel = await asterisk.Ari.Rest.Channels.OriginateAsync(new OriginateRequest
        {
            Endpoint = settings.DialTemplate.Replace("{number}", ticket.CitizenPhone, StringComparison.Ordinal),
            App = asterisk.AppName,
            AppArgs = $"{IvrApp.SurveyArg},{ticket.Number},{ticket.CitizenPhone}",
            CallerId = settings.CallerId,
            Timeout = TimeSpan.FromSeconds(settings.RingTimeoutSeconds),
        }, ct);
        LogPlaced(ticket.Number, channel.Id);
        await tickets.AddNoteAsync(ticket.Id, PlacedNote, Actor, ct);
    }

    private string? WhyNotDue(Ticket ticket) => ticket switch
    {
        _ when !options.Value.OutboundCalls => "Surveys:OutboundCalls is off",
        { Status: not TicketStatuses.Resolved } => $"the ticket is {ticket.Status}",
        { Rating: { } rating } => $"the ticket is already rated {rating}",
        { CitizenPhone: null or "" } => "the ticket has no phone number",
        _ => null,
    };

    private async Task<bool> AlreadyCalledAsync(Ticket ticket, CancellationToken ct) =>
        (await tickets.HistoryAsync(ticket.Id, ct)).Any(h =>
            h.Actor == Actor.Name && h.Note == PlacedNote && h.At >= ticket.ResolvedAt);

    /// <summary>
    /// A one-shot trigger carrying the resolution it was planned for. Fire-now on misfire: an instance that was down at
    /// the opening still calls when it is back, after <see cref="RunPlannedAsync"/> has checked the hours again.
    /// </summary>
    private static ITrigger Trigger(Ticket ticket, DateTimeOffset at, int attempt) => TriggerBuilder.Create()
        .WithIdentity($"{JobKeyOf(ticket.Id).Name}-{Guid.NewGuid():N}", Group)
        .ForJob(JobKeyOf(ticket.Id))
        .UsingJobData(SurveyCallJob.TicketIdKey, ticket.Id.ToString(CultureInfo.InvariantCulture))
        .UsingJobData(SurveyCallJob.ResolvedAtKey, ticket.ResolvedAt!.Value.Ticks.ToString(CultureInfo.InvariantCulture))
        .UsingJobData(SurveyCallJob.AttemptKey, attempt.ToString(CultureInfo.InvariantCulture))
        .StartAt(at)
        .WithSimpleSchedule(schedule => schedule.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
        .Build();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketNumber}: survey call to {Phone} refused, the number is not in Surveys:AllowedNumbers")]
    private partial void LogRefused(string ticketNumber, string phone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketNumber}: survey call placed on channel {ChannelId}")]
    private partial void LogPlaced(string ticketNumber, string channelId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketNumber}: outside calling hours, survey call planned for {At:o}")]
    private partial void LogPlanned(string ticketNumber, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketNumber}: planned survey call not placed, {Reason}")]
    private partial void LogSkipped(string ticketNumber, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketNumber}: survey call attempt {Attempt} failed, retrying at {At:o}")]
    private partial void LogRetrying(Exception e, string ticketNumber, int attempt, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ticket {TicketNumber}: survey call given up after {Attempt} attempt(s)")]
    private partial void LogGivenUp(Exception e, string ticketNumber, int attempt);
}
