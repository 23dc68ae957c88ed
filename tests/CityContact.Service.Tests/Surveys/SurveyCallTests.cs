using CityContact.Service.Features.Tickets;
using CityContact.Service.Tests.Voicemail;

namespace CityContact.Service.Tests.Surveys;

/// <summary>The outbound survey call placed when a ticket is resolved, and the allow-list that guards it.</summary>
public sealed class SurveyCallTests
{
    private static readonly DateTimeOffset WednesdayMorning = new(2025, 3, 12, 8, 0, 0, TimeSpan.Zero);

    // The simulator dials only its deskphone endpoints: agent2 stands for the citizen's phone.
    private static readonly Dictionary<string, string?> OutboundSurveys = new()
    {
        ["Surveys:OutboundCalls"] = "true",
        ["Surveys:DialTemplate"] = "PJSIP/agent2",
    };

    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(40)).Token;

    private static async Task<Ticket> ResolvedTicketAsync(VoicemailHost host, string phone)
    {
        var ticket = await host.Tickets.CreateAsync(new TicketDraft(TicketKinds.Complaint, TicketChannels.Phone, "Pothole", null, CitizenPhone: phone),
            TicketActor.Ivr, Ct);
        Assert.IsType<TicketChange.Applied>(await host.Tickets.ResolveAsync(ticket.Id, "Road repaired", null, TicketActor.Ivr, Ct));
        return ticket;
    }

    [Fact]
    public async Task Resolving_a_ticket_calls_the_citizen_who_hears_the_survey_question_for_that_ticket()
    {
        var ct = Ct;
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, OutboundSurveys);
        var phone = host.Sim.Phone("agent2").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(ct);

        var ticket = await ResolvedTicketAsync(host, VoicemailHost.Citizen);
        await phone.WaitForAnsweredCallAsync(ct);
        var channelId = phone.CurrentChannelId!;
        await host.Sim.WaitUntilAsync(s => s.Requests.Any(r => r.Method == "POST" && r.Path.Contains($"/channels/{channelId}/play/", StringComparison.Ordinal)
            && r.Parameters.GetValueOrDefault("media", "").EndsWith("/survey-question", StringComparison.Ordinal)), ct);

        var originate = host.Sim.Requests.Single(r => r.Method == "POST" && r.Path.EndsWith("/channels", StringComparison.Ordinal));
        Assert.Equal("PJSIP/agent2", originate.Parameters["endpoint"]);
        Assert.Equal($"survey,{ticket.Number},{VoicemailHost.Citizen}", originate.Parameters["appArgs"]);
        await phone.HangUpAsync(ct);
        var (call, timeline) = await host.EndedCallAsync(channelId, ct);
        Assert.Equal(VoicemailHost.Citizen, call.DialedNumber);
        Assert.Contains(timeline, e => e.Type == "started" && e.Data.Contains("survey-call", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_premium_rate_number_is_never_called_and_the_refusal_is_on_the_ticket()
    {
        var ct = Ct;
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, OutboundSurveys);
        var ticket = await ResolvedTicketAsync(host, "+40900123456");

        IReadOnlyList<TicketHistoryEntry> history;
        do
        {
            await Task.Delay(20, ct);
            history = await host.Tickets.HistoryAsync(ticket.Id, ct);
        }
        while (!history.Any(h => h.Note?.Contains("AllowedNumbers", StringComparison.Ordinal) == true));
        Assert.DoesNotContain(host.Sim.Requests, r => r.Method == "POST" && r.Path.EndsWith("/channels", StringComparison.Ordinal));
    }
}
