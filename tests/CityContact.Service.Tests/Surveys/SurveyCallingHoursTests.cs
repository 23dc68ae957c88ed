using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Reports;
using CityContact.Service.Features.Schedules;
using CityContact.Service.Features.Surveys;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Tests.Voicemail;
using CityContact.Simulator.Scripting;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace CityContact.Service.Tests.Surveys;

/// <summary>
/// The survey call waits for calling hours (the city's business hours: here the "city" schedule, Tickets:DefaultScheduleCode),
/// is planned in Quartz's clustered PostgreSQL store, places one call per resolution, and is counted as outbound, not as traffic.
/// </summary>
public sealed class SurveyCallingHoursTests
{
    private static readonly TimeZoneInfo Bucharest = TimeZoneInfo.FindSystemTimeZoneById("Europe/Bucharest");

    // Wednesday 12 March 2025, 10:00 in Bucharest (UTC+2).
    private static readonly DateTimeOffset WednesdayMorning = new(2025, 3, 12, 8, 0, 0, TimeSpan.Zero);

    // The simulator dials only its deskphone endpoints: agent2 stands for the citizen's phone.
    private static readonly Dictionary<string, string?> OutboundSurveys = new()
    {
        ["Surveys:OutboundCalls"] = "true",
        ["Surveys:DialTemplate"] = "PJSIP/agent2",
        // The tests' own "city" schedule, opened where each test needs it, instead of the seeded city-hall hours.
        ["Tickets:DefaultScheduleCode"] = "city",
    };

    private static CancellationToken Ct => new CancellationTokenSource(TimeSpan.FromSeconds(40)).Token;

    private static bool IsOriginate(Simulator.AriRequestRecord r) => r.Method == "POST" && r.Path.EndsWith("/channels", StringComparison.Ordinal);

    /// <summary>
    /// The city's hours on the host's current day (every week) open five seconds from now, until 16:00 or for <paramref name="openFor"/>:
    /// the ticket is resolved while closed.
    /// </summary>
    /// <summary>The citizen's phone (Surveys:DialTemplate dials agent2), registered and answering at once.</summary>
    private static async Task<SimulatedPhone> CitizenPhoneAsync(VoicemailHost host, CancellationToken ct)
    {
        var phone = host.Sim.Phone("agent2").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(ct);
        return phone;
    }

    private static async Task<DateTimeOffset> OpenShortlyAsync(VoicemailHost host, CancellationToken ct, TimeSpan? openFor = null)
    {
        var local = TimeZoneInfo.ConvertTime(host.Time.GetUtcNow(), Bucharest);
        var opens = new DateTimeOffset(local.Year, local.Month, local.Day, local.Hour, local.Minute, local.Second, local.Offset).AddSeconds(5);
        var day = (int)opens.DayOfWeek is 0 ? 7 : (int)opens.DayOfWeek;
        await host.Services.GetRequiredService<ScheduleStore>().CreateAsync(new NewSchedule("city", "City hall", Bucharest.Id,
            [new OpeningHours(day, TimeOnly.FromTimeSpan(opens.TimeOfDay), openFor is { } open ? TimeOnly.FromTimeSpan((opens + open).TimeOfDay) : new TimeOnly(16, 0))], []), ct);
        return opens;
    }

    private static async Task<Ticket> NewTicketAsync(VoicemailHost host, CancellationToken ct) =>
        await host.Tickets.CreateAsync(new TicketDraft(TicketKinds.Complaint, TicketChannels.Phone, "Pothole", null, CitizenPhone: VoicemailHost.Citizen),
            TicketActor.Ivr, ct);

    private static async Task ResolveAsync(VoicemailHost host, long ticketId, CancellationToken ct) =>
        Assert.IsType<TicketChange.Applied>(await host.Tickets.ResolveAsync(ticketId, "Road repaired", null, TicketActor.Ivr, ct));

    /// <summary>Waits until the survey has written <paramref name="count"/> notes starting with <paramref name="prefix"/> on the ticket.</summary>
    private static async Task<IReadOnlyList<string>> SurveyNotesAsync(VoicemailHost host, long ticketId, string prefix, int count, CancellationToken ct)
    {
        while (true)
        {
            var notes = (await host.Tickets.HistoryAsync(ticketId, ct))
                .Where(h => h.Actor == SurveyCallScheduler.Actor.Name && h.Note?.StartsWith(prefix, StringComparison.Ordinal) == true)
                .Select(h => h.Note!).ToList();
            if (notes.Count >= count)
            {
                return notes;
            }
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Waits until the job has run to its end: Quartz removes a one-shot trigger once its job has completed.</summary>
    private static async Task NothingPlannedAsync(VoicemailHost host, long ticketId, CancellationToken ct)
    {
        while ((await PlannedAsync(host, ticketId, ct)).Count > 0)
        {
            await Task.Delay(20, ct);
        }
    }

    private static async Task<IReadOnlyList<ITrigger>> PlannedAsync(VoicemailHost host, long ticketId, CancellationToken ct)
    {
        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(ct);
        return await scheduler.GetTriggersOfJob(SurveyCallScheduler.JobKeyOf(ticketId), ct);
    }

    [Fact]
    public async Task A_ticket_resolved_at_night_is_planned_for_the_next_opening_after_a_holiday()
    {
        var ct = Ct;
        // Wednesday 23:00; Thursday is a holiday, so the city calls on Friday at 08:00.
        await using var host = await VoicemailHost.StartAsync(new DateTimeOffset(2025, 3, 12, 21, 0, 0, TimeSpan.Zero), ct, OutboundSurveys);
        await host.Services.GetRequiredService<ScheduleStore>().CreateAsync(new NewSchedule("city", "City hall", Bucharest.Id,
            [.. Enumerable.Range(1, 5).Select(d => new OpeningHours(d, new TimeOnly(8, 0), new TimeOnly(16, 0)))],
            [new Holiday(new DateOnly(2025, 3, 13), "Holiday")]), ct);
        var ticket = await NewTicketAsync(host, ct);

        await ResolveAsync(host, ticket.Id, ct);

        var note = Assert.Single(await SurveyNotesAsync(host, ticket.Id, "Survey call planned", 1, ct));
        Assert.Contains("2025-03-14 08:00 (Europe/Bucharest)", note, StringComparison.Ordinal);
        var trigger = Assert.Single(await PlannedAsync(host, ticket.Id, ct));
        Assert.Equal(new DateTimeOffset(2025, 3, 14, 6, 0, 0, TimeSpan.Zero), trigger.NextFireTimeUtc);
        Assert.DoesNotContain(host.Sim.Requests, IsOriginate);
    }

    [Fact]
    public async Task A_ticket_resolved_before_opening_is_called_at_the_opening_and_not_before()
    {
        var ct = Ct;
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, OutboundSurveys);
        var phone = await CitizenPhoneAsync(host, ct);
        var opens = await OpenShortlyAsync(host, ct);
        var ticket = await NewTicketAsync(host, ct);

        await ResolveAsync(host, ticket.Id, ct);
        await SurveyNotesAsync(host, ticket.Id, "Survey call planned", 1, ct);
        Assert.True(host.Time.GetUtcNow() < opens, "the ticket was resolved after the opening: the test's margin is too small");
        Assert.DoesNotContain(host.Sim.Requests, IsOriginate);

        await phone.WaitForAnsweredCallAsync(ct);
        var originate = Assert.Single(host.Sim.Requests, IsOriginate);
        Assert.True(originate.Timestamp >= opens, $"called at {originate.Timestamp:O}, before the opening at {opens:O}");
        Assert.Equal($"survey,{ticket.Number},{ticket.CitizenPhone}", originate.Parameters["appArgs"]);
        await SurveyNotesAsync(host, ticket.Id, SurveyCallScheduler.PlacedNote, 1, ct);
        await NothingPlannedAsync(host, ticket.Id, ct);
        await phone.HangUpAsync(ct);
    }

    [Fact]
    public async Task A_ticket_reopened_before_the_opening_is_not_called()
    {
        var ct = Ct;
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, OutboundSurveys);
        await OpenShortlyAsync(host, ct);
        var ticket = await NewTicketAsync(host, ct);
        await ResolveAsync(host, ticket.Id, ct);
        await SurveyNotesAsync(host, ticket.Id, "Survey call planned", 1, ct);

        Assert.IsType<TicketChange.Applied>(await host.Tickets.ChangeStatusAsync(ticket.Id,
            new StatusChange(TicketStatuses.InProgress, "Not fixed after all"), TicketActor.Ivr, ct));

        var skipped = Assert.Single(await SurveyNotesAsync(host, ticket.Id, "Survey call not placed", 1, ct));
        Assert.Equal("Survey call not placed: the ticket is in_progress", skipped);
        Assert.DoesNotContain(host.Sim.Requests, IsOriginate);
    }

    [Fact]
    public async Task Resolving_again_before_the_opening_replaces_the_plan_and_the_citizen_is_called_once()
    {
        var ct = Ct;
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, OutboundSurveys);
        var phone = await CitizenPhoneAsync(host, ct);
        await OpenShortlyAsync(host, ct);
        var ticket = await NewTicketAsync(host, ct);
        await ResolveAsync(host, ticket.Id, ct);
        await SurveyNotesAsync(host, ticket.Id, "Survey call planned", 1, ct);
        Assert.IsType<TicketChange.Applied>(await host.Tickets.ChangeStatusAsync(ticket.Id,
            new StatusChange(TicketStatuses.InProgress, "Not fixed after all"), TicketActor.Ivr, ct));

        await ResolveAsync(host, ticket.Id, ct);
        await SurveyNotesAsync(host, ticket.Id, "Survey call planned", 2, ct);
        Assert.Single(await PlannedAsync(host, ticket.Id, ct));

        await SurveyNotesAsync(host, ticket.Id, SurveyCallScheduler.PlacedNote, 1, ct);
        // Once the job has finished nothing else is planned that could call again.
        await NothingPlannedAsync(host, ticket.Id, ct);
        Assert.Single(host.Sim.Requests, IsOriginate);
        Assert.DoesNotContain(await host.Tickets.HistoryAsync(ticket.Id, ct), h => h.Note?.StartsWith("Survey call not placed", StringComparison.Ordinal) == true);
        await phone.WaitForAnsweredCallAsync(ct);
        await phone.HangUpAsync(ct);
    }

    [Fact]
    public async Task A_planned_call_firing_after_closing_time_waits_for_the_next_opening()
    {
        var ct = Ct;
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, OutboundSurveys);
        var opens = await OpenShortlyAsync(host, ct, openFor: TimeSpan.FromSeconds(1));
        var ticket = await NewTicketAsync(host, ct);
        await ResolveAsync(host, ticket.Id, ct);
        await SurveyNotesAsync(host, ticket.Id, "Survey call planned", 1, ct);

        // The scheduler is away over the whole opening (an outage) and fires the job once the city has closed again.
        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler(ct);
        await scheduler.Standby(ct);
        await Task.Delay(opens.AddSeconds(2) - host.Time.GetUtcNow(), host.Time, ct);
        await scheduler.Start(ct);

        var nextWeek = opens.AddDays(7);
        while (!(await PlannedAsync(host, ticket.Id, ct)).Any(t => t.NextFireTimeUtc == nextWeek))
        {
            await Task.Delay(20, ct);
        }
        Assert.DoesNotContain(host.Sim.Requests, IsOriginate);
    }

    [Fact]
    public async Task A_planned_call_that_cannot_be_placed_at_the_opening_is_tried_again_later()
    {
        var ct = Ct;
        // No phone registered: the originate fails as Asterisk's does ("Allocation failed").
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, new Dictionary<string, string?>(OutboundSurveys) { ["Surveys:RetryMinutes"] = "1" });
        var opens = await OpenShortlyAsync(host, ct);
        var ticket = await NewTicketAsync(host, ct);
        await ResolveAsync(host, ticket.Id, ct);
        await SurveyNotesAsync(host, ticket.Id, "Survey call planned", 1, ct);

        ITrigger? retry;
        while ((retry = (await PlannedAsync(host, ticket.Id, ct)).SingleOrDefault(t => t.JobDataMap.GetString(SurveyCallJob.AttemptKey) == "2")) is null)
        {
            await Task.Delay(20, ct);
        }
        Assert.Single(host.Sim.Requests, IsOriginate);
        Assert.InRange(retry.NextFireTimeUtc!.Value, opens.AddMinutes(1), opens.AddMinutes(1).AddSeconds(10));
        Assert.DoesNotContain(await host.Tickets.HistoryAsync(ticket.Id, ct), h => h.Note == SurveyCallScheduler.PlacedNote);
    }

    [Fact]
    public async Task A_planned_call_that_fails_every_attempt_is_given_up_and_noted_on_the_ticket()
    {
        var ct = Ct;
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, new Dictionary<string, string?>(OutboundSurveys) { ["Surveys:PlaceAttempts"] = "1" });
        await OpenShortlyAsync(host, ct);
        var ticket = await NewTicketAsync(host, ct);
        await ResolveAsync(host, ticket.Id, ct);

        var given = Assert.Single(await SurveyNotesAsync(host, ticket.Id, "Survey call not placed", 1, ct));
        Assert.StartsWith("Survey call not placed: 1 attempt(s) failed", given, StringComparison.Ordinal);
        await NothingPlannedAsync(host, ticket.Id, ct);
        Assert.Single(host.Sim.Requests, IsOriginate);
    }

    [Fact]
    public async Task A_survey_call_is_listed_as_outbound_and_leaves_the_traffic_report_unchanged()
    {
        var ct = Ct;
        await using var host = await VoicemailHost.StartAsync(WednesdayMorning, ct, OutboundSurveys);
        var phone = await CitizenPhoneAsync(host, ct);
        var citizen = await host.DialAsync(VoicemailHost.Citizen, "2", ct);
        await citizen.HangUpAsync(ct);
        await host.EndedCallAsync(citizen.ChannelId, ct);
        var builder = host.Services.GetRequiredService<ReportBuilder>();
        var day = ReportPeriod.Containing(ReportKind.Daily, DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(WednesdayMorning, Bucharest).DateTime), Bucharest);
        var before = await builder.BuildAsync(day, ReportScope.City, ct);

        var ticket = await NewTicketAsync(host, ct);
        await ResolveAsync(host, ticket.Id, ct);
        await phone.WaitForAnsweredCallAsync(ct);
        var channelId = phone.CurrentChannelId!;
        await host.Sim.WaitUntilAsync(s => s.Requests.Any(r => r.Method == "POST" && r.Path.Contains($"/channels/{channelId}/play/", StringComparison.Ordinal)), ct);
        await phone.HangUpAsync(ct);
        var (call, _) = await host.EndedCallAsync(channelId, ct);
        var after = await builder.BuildAsync(day, ReportScope.City, ct);

        Assert.Equal(CallDirections.Outbound, call.Direction);
        Assert.Equal(1, before.Calls.Offered);
        Assert.Equal((before.Calls.Offered, before.Calls.Answered, before.Calls.Abandoned, before.Calls.SelfService),
            (after.Calls.Offered, after.Calls.Answered, after.Calls.Abandoned, after.Calls.SelfService));
        Assert.Equal(before.ByHour.Select(h => h.Offered), after.ByHour.Select(h => h.Offered));
        Assert.DoesNotContain(after.IvrNodes, n => n.Node == "survey");

        using var client = host.Admin();
        var outbound = await client.GetFromJsonAsync<JsonElement>("/api/calls?direction=outbound", ct);
        var listed = Assert.Single(outbound.GetProperty("items").EnumerateArray());
        Assert.Equal((channelId, "outbound"), (listed.GetProperty("channelId").GetString(), listed.GetProperty("direction").GetString()));
        var inbound = await client.GetFromJsonAsync<JsonElement>("/api/calls?direction=inbound", ct);
        Assert.Equal([citizen.ChannelId], inbound.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("channelId").GetString()));
        var refused = await client.GetAsync("/api/calls?direction=sideways", ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("direction", await refused.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }
}
