using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Tickets;

namespace CityContact.Service.Features.Surveys;

/// <summary>
/// The <c>survey</c> node: a 1–5 rating by keypad for the ticket in the call variable <c>ticket</c> (set by
/// <c>ticket-status</c> or a voicemail), stored through <see cref="TicketService.RecordRatingAsync"/> (a rating below
/// the running average flags the ticket). Another digit is an invalid choice and the question is asked again.
/// Without a ticket, or for a ticket that cannot be rated (not resolved, already rated), the node is passed.
/// </summary>
public sealed class SurveyNode(TicketService tickets, TicketStore store, IOptions<IvrOptions> ivr) : ICallHandover
{
    public async Task<string?> HandOverAsync(CallHandler call, FlowNode node, CancellationToken ct)
    {
        if (!call.Variables.TryGetValue("ticket", out var number) || await store.FindByNumberAsync(number, ct) is not { } ticket
            || ticket.Rating is not null || ticket.Status is not (TicketStatuses.Resolved or TicketStatuses.Closed))
        {
            call.Step("survey.skipped", new { reason = "no ticket to rate" });
            return node.Next;
        }
        var rating = await AskAsync(call, node.Prompts ?? ["survey-question"], node.InvalidPrompt ?? "invalid-choice", node.NoInputPrompt ?? "no-input",
            node.MaxRetries ?? 2, TimeSpan.FromMilliseconds(node.TimeoutMs ?? ivr.Value.DefaultTimeoutMs), ct);
        if (rating is { } value)
        {
            await StoreAsync(call, tickets, ticket.Id, value, ct);
        }
        return node.Next;
    }

    /// <summary>Asks for a digit 1–5, retrying after an invalid digit or silence; null after the last retry.</summary>
    public static async Task<int?> AskAsync(CallHandler call, IReadOnlyList<string> question, string invalidPrompt, string noInputPrompt,
        int retries, TimeSpan timeout, CancellationToken ct)
    {
        for (var attempt = 0; attempt <= retries; attempt++)
        {
            var digit = await call.PlayAsync(question, interruptible: true, ct) ?? await call.WaitForDigitAsync(timeout, ct);
            if (digit is null)
            {
                call.Step("survey.no-input", new { attempt });
                await call.PlayAsync([noInputPrompt], interruptible: false, ct);
                continue;
            }
            if (digit is "1" or "2" or "3" or "4" or "5")
            {
                return digit[0] - '0';
            }
            call.Step("survey.invalid", new { attempt, digit });
            await call.PlayAsync([invalidPrompt], interruptible: false, ct);
        }
        call.Step("survey.unanswered");
        return null;
    }

    public static async Task StoreAsync(CallHandler call, TicketService tickets, long ticketId, int rating, CancellationToken ct)
    {
        var outcome = await tickets.RecordRatingAsync(ticketId, rating, RatingChannels.Ivr, TicketActor.Ivr, ct);
        call.Step("survey.rated", new
        {
            ticketId,
            rating,
            stored = outcome is TicketChange.Applied,
            flagged = outcome is TicketChange.Applied { Ticket.FlaggedForFollowUp: true },
        });
        await call.PlayAsync(["survey-thanks"], interruptible: false, ct);
    }
}
