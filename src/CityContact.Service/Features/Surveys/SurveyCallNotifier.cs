using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Notifications;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari.Rest;

namespace CityContact.Service.Features.Surveys;

/// <summary>
/// When a ticket is resolved, calls the citizen back for a 1–5 rating (Surveys:OutboundCalls). It rides the notifier
/// path, so a failed originate is retried like a failed email. The number must pass Surveys:AllowedNumbers; a refusal
/// is logged (masked) and noted on the ticket's history, and not retried. Once answered, the call runs
/// <see cref="SurveyFlow"/> in the IVR with the ticket in the call's <c>ticket</c> variable.
/// (The note goes through the store: TicketService depends on the notifiers.)
/// </summary>
public sealed partial class SurveyCallNotifier(
    AsteriskConnection asterisk, TicketStore tickets, IOptions<SurveyOptions> options, ILogger<SurveyCallNotifier> logger) : ITicketNotifier
{
    public string Name => "survey-call";

    public bool CanNotify(TicketStatusChanged change) =>
        options.Value.OutboundCalls && change.ToStatus == TicketStatuses.Resolved && !string.IsNullOrWhiteSpace(change.CitizenPhone);

    public async Task NotifyAsync(TicketStatusChanged change, CancellationToken ct)
    {
        var settings = options.Value;
        var number = change.CitizenPhone!;
        if (!settings.IsAllowed(number))
        {
            LogRefused(change.Number, PhoneNumbers.Mask(number));
            await tickets.AddNoteAsync(change.TicketId, "Survey call not placed: the number is not in Surveys:AllowedNumbers", new TicketActor("survey"), ct);
            return;
        }
        var channel = await asterisk.Ari.Rest.Channels.OriginateAsync(new OriginateRequest
        {
            Endpoint = settings.DialTemplate.Replace("{number}", number, StringComparison.Ordinal),
            App = asterisk.AppName,
            AppArgs = $"{IvrApp.SurveyArg},{change.Number}",
            CallerId = settings.CallerId,
            Timeout = TimeSpan.FromSeconds(settings.RingTimeoutSeconds),
        }, ct);
        LogPlaced(change.Number, channel.Id);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketNumber}: survey call to {Phone} refused, the number is not in Surveys:AllowedNumbers")]
    private partial void LogRefused(string ticketNumber, string phone);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ticket {TicketNumber}: survey call placed on channel {ChannelId}")]
    private partial void LogPlaced(string ticketNumber, string channelId);
}
