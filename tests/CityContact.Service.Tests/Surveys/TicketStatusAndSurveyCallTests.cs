using CityContact.Service.Features.Tickets;
using CityContact.Service.Tests.Voicemail;

namespace CityContact.Service.Tests.Surveys;

/// <summary>A citizen follows a ticket by phone (status read only to the number that filed it) and rates it 1–5.</summary>
public sealed class TicketStatusAndSurveyCallTests
{
    private static readonly DateTimeOffset WednesdayMorning = new(2025, 3, 12, 8, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(40)).Token;

    private static async Task<Ticket> ResolvedTicketAsync(VoicemailHost host, string phone)
    {
        var ticket = await host.Tickets.CreateAsync(new TicketDraft(TicketKinds.Request, TicketChannels.Phone, "Street light out", null, CitizenPhone: phone),
            TicketActor.Ivr, Ct);
        Assert.IsType<TicketChange.Applied>(await host.Tickets.ResolveAsync(ticket.Id, "Lamp replaced", null, TicketActor.Ivr, Ct));
        return ticket;
    }

    private static async Task<Ticket> RatedTicketAsync(VoicemailHost host, int rating)
    {
        var ticket = await ResolvedTicketAsync(host, "+40256000999");
        Assert.IsType<TicketChange.Applied>(await host.Tickets.RecordRatingAsync(ticket.Id, rating, RatingChannels.Api, TicketActor.Ivr, Ct));
        return ticket;
    }

    /// <summary>Main menu 6, the ticket's digits and #.</summary>
    private static async Task<Simulator.Scripting.SimulatedCaller> AskStatusAsync(VoicemailHost host, string from, Ticket ticket)
    {
        var caller = await host.DialAsync(from, "2", Ct);
        await VoicemailHost.WaitForPromptAsync(caller, "main-menu", 3, Ct);
        await caller.PressAsync("6", Ct);
        await VoicemailHost.WaitForPromptAsync(caller, "ticket-status-enter", 4, Ct);
        await caller.PressAsync(new string([.. ticket.Number.Where(char.IsAsciiDigit)]) + "#", Ct);
        return caller;
    }

    [Fact]
    public async Task The_caller_who_filed_a_ticket_hears_its_status_and_a_rating_below_the_average_flags_it()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, Ct);
        await RatedTicketAsync(host, 4);
        var ticket = await ResolvedTicketAsync(host, VoicemailHost.Citizen);

        var caller = await AskStatusAsync(host, VoicemailHost.Citizen, ticket);
        var status = await VoicemailHost.WaitForPromptAsync(caller, "ticket-status-resolved", 5, Ct);
        var question = await VoicemailHost.WaitForPromptAsync(caller, "survey-question", status + 1, Ct);
        await caller.PressAsync("8", Ct);
        var invalid = await VoicemailHost.WaitForPromptAsync(caller, "invalid-choice", question + 1, Ct);
        await VoicemailHost.WaitForPromptAsync(caller, "survey-question", invalid + 1, Ct);
        await caller.PressAsync("2", Ct);
        await caller.WaitForHangupAsync(Ct);

        var (_, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Contains(timeline, e => e.Type == "ticket-status.read" && e.Data.Contains(ticket.Number, StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "survey.invalid");
        Assert.Contains(timeline, e => e.Type == "survey.rated");
        var rated = await host.TicketStore.GetAsync(ticket.Id, Ct);
        Assert.Equal(((short?)2, RatingChannels.Ivr, true), (rated!.Rating, rated.RatingChannel, rated.FlaggedForFollowUp));
    }

    [Fact]
    public async Task A_rating_at_or_above_the_average_is_stored_without_a_flag()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, Ct);
        await RatedTicketAsync(host, 3);
        var ticket = await ResolvedTicketAsync(host, VoicemailHost.Citizen);

        var caller = await AskStatusAsync(host, VoicemailHost.Citizen, ticket);
        await VoicemailHost.WaitForPromptAsync(caller, "survey-question", 5, Ct);
        await caller.PressAsync("5", Ct);
        await caller.WaitForHangupAsync(Ct);

        await host.EndedCallAsync(caller.ChannelId, Ct);
        var rated = await host.TicketStore.GetAsync(ticket.Id, Ct);
        Assert.Equal(((short?)5, false), (rated!.Rating, rated.FlaggedForFollowUp));
    }

    [Fact]
    public async Task Another_caller_typing_the_same_number_hears_only_not_found_and_is_not_asked_to_rate()
    {
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, Ct);
        var ticket = await ResolvedTicketAsync(host, VoicemailHost.Citizen);

        var caller = await AskStatusAsync(host, "+40256000002", ticket);
        await VoicemailHost.WaitForPromptAsync(caller, "ticket-not-found", 5, Ct);
        await caller.WaitForHangupAsync(Ct);

        var (_, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Contains(timeline, e => e.Type == "ticket-status.not-found");
        Assert.DoesNotContain(timeline, e => e.Type == "ticket-status.read");
        Assert.Contains(timeline, e => e.Type == "survey.skipped");
        Assert.DoesNotContain(timeline, e => e.Type == "prompt" && e.Data.Contains("ticket-status-resolved", StringComparison.Ordinal));
        Assert.Null((await host.TicketStore.GetAsync(ticket.Id, Ct))!.Rating);
    }
}
