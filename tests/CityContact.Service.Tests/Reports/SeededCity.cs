using CityContact.Service.Features.Reports;
using CityContact.Service.Infrastructure.Configuration;
using CityContact.Service.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using static CityContact.Service.Tests.Reports.ReportSeed;

namespace CityContact.Service.Tests.Reports;

/// <summary>
/// One day of a small city, Tuesday 10 March 2026 (Bucharest, UTC+2), with every figure hand-countable; the comments
/// give local times. Taxes has calls and tickets, Roads some, Parks none at all.
/// </summary>
public sealed class SeededCity : DatabaseFixture
{
    /// <summary>
    /// The service for the report tests runs with an Asterisk that is not there: reports need no telephony, and with one
    /// (the in-process simulator) the service would close the seeded in-progress call at start, as it closes every open
    /// row whose channel Asterisk no longer has; this channel exists only in the seed.
    /// </summary>
    public static Dictionary<string, string?> ServiceSettings(IReadOnlyDictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ari:Url"] = "http://127.0.0.1:9/ari",
            ["Ari:User"] = "reports",
            ["Ari:Password"] = "reports-tests-have-no-asterisk",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return settings;
    }

    public static readonly DateOnly Day = new(2026, 3, 10);

    public long Taxes { get; private set; }
    public long Roads { get; private set; }
    public long Parks { get; private set; }
    public long Ana { get; private set; }
    public long Ion { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var seed = new ReportSeed(DataSource);
        Taxes = await seed.DepartmentAsync("taxes", "Taxe");
        Roads = await seed.DepartmentAsync("roads", "Drumuri");
        Parks = await seed.DepartmentAsync("parks", "Parcuri");
        var taxesQueue = await seed.QueueAsync("taxes", Taxes);
        var roadsQueue = await seed.QueueAsync("roads", Roads);
        Ana = await seed.AgentAsync("Ana", "PJSIP/1001", Taxes);
        Ion = await seed.AgentAsync("Ion", "PJSIP/1002", Roads);

        // Around the day: the evening before (repeat-call history for caller Z), three days before (for Y), the night after.
        await seed.CallAsync(Local(2026, 3, 9, 23, 50), "answered", Roads, "0733000003", waitSeconds: 3, talkSeconds: 1200, queueId: roadsQueue, agentId: Ion);
        await seed.CallAsync(Local(2026, 3, 7, 10, 0), "answered", Roads, "0722000002", waitSeconds: 3, talkSeconds: 60, queueId: roadsQueue, agentId: Ion);
        await seed.CallAsync(Local(2026, 3, 11, 0, 30), "abandoned", Taxes, "0744000004", waitSeconds: 10, queueId: taxesQueue);

        // The day itself: ten finished calls and one still in progress (not counted).
        var c1 = await seed.CallAsync(Local(2026, 3, 10, 9, 0), "answered", Taxes, "0711000001", waitSeconds: 10, talkSeconds: 300, queueId: taxesQueue, agentId: Ana, ivrPath: ["main", "taxes"]);
        await seed.CallAsync(Local(2026, 3, 10, 9, 30), "answered", Taxes, "0711000001", waitSeconds: 40, talkSeconds: 100, queueId: taxesQueue, agentId: Ana);
        await seed.CallAsync(Local(2026, 3, 10, 10, 15), "abandoned", Taxes, "0755000005", waitSeconds: 20, queueId: taxesQueue, ivrPath: ["main", "taxes"], seconds: 35);
        await seed.CallAsync(Local(2026, 3, 10, 10, 45), "abandoned", Taxes, "0755000006", waitSeconds: 150, queueId: taxesQueue, seconds: 160);
        // Spans midnight: counted on the day it started.
        await seed.CallAsync(Local(2026, 3, 10, 23, 58), "answered", Roads, "0755000007", waitSeconds: 5, talkSeconds: 420, queueId: roadsQueue, agentId: Ion);
        var c6 = await seed.CallAsync(Local(2026, 3, 10, 11, 0), "self-service", Roads, "0722000002", ivrPath: ["main", "info"]);
        // Timed out twice in the main menu, then left a message: one caller failed by the menu, not two.
        var c7 = await seed.CallAsync(Local(2026, 3, 10, 12, 0), "voicemail", Roads, "0733000003", ivrPath: ["main"]);
        var c8 = await seed.CallAsync(Local(2026, 3, 10, 13, 0), "callback", Roads, "0755000008");
        var c9 = await seed.CallAsync(Local(2026, 3, 10, 14, 0), "callback", Taxes, "0755000009");
        // Hung up in the IVR's main menu after 40 s, before any queue.
        await seed.CallAsync(Local(2026, 3, 10, 8, 0), "abandoned", null, "0755000010", ivrPath: ["main"], seconds: 40);
        await seed.CallAsync(Local(2026, 3, 10, 15, 0), null, Taxes, "0755000011");
        // The city's own survey calls that day are not traffic: counted, the first would add an answered Taxes call with
        // Ana's talk time, the second a Roads hang-up in a "survey" node and a repeat call from 0755000005.
        await seed.CallAsync(Local(2026, 3, 10, 9, 45), "answered", Taxes, "0711000001", talkSeconds: 30, agentId: Ana, ivrPath: ["survey", "goodbye"], direction: "outbound");
        await seed.CallAsync(Local(2026, 3, 10, 16, 0), "abandoned", Roads, "0755000005", ivrPath: ["survey"], seconds: 30, direction: "outbound");
        await seed.CallEventAsync(c1, Local(2026, 3, 10, 9, 0, 20), "timeout", """{"node": "main"}""");
        await seed.CallEventAsync(c6, Local(2026, 3, 10, 11, 0, 20), "timeout", """{"node": "main"}""");
        await seed.CallEventAsync(c7, Local(2026, 3, 10, 12, 0, 15), "timeout", """{"node": "main"}""");
        await seed.CallEventAsync(c7, Local(2026, 3, 10, 12, 0, 30), "timeout", """{"node": "main"}""");
        // Timed out again, then reached the taxes queue: the menu did not lose this caller.
        await seed.CallEventAsync(c1, Local(2026, 3, 10, 9, 0, 40), "timeout", """{"node": "main"}""");

        // Tickets.
        await seed.TicketAsync("request", Taxes, Local(2026, 3, 10, 9, 5), dueAt: Local(2026, 3, 10, 17, 0), resolvedAt: Local(2026, 3, 10, 16, 0), rating: 5);
        await seed.TicketAsync("complaint", Taxes, Local(2026, 3, 5, 9, 0), dueAt: Local(2026, 3, 10, 12, 0));
        await seed.TicketAsync("complaint", Roads, Local(2026, 3, 10, 10, 0), resolvedAt: Local(2026, 3, 10, 12, 0), rating: 1, subject: "Groapă, \"mare\" pe strada Lungă");
        await seed.TicketAsync("callback", Roads, Local(2026, 3, 10, 13, 0), dueAt: Local(2026, 3, 11, 13, 0), resolvedAt: Local(2026, 3, 10, 15, 0), rating: 2, callId: c8);
        await seed.TicketAsync("callback", Taxes, Local(2026, 3, 10, 14, 0), dueAt: Local(2026, 3, 11, 14, 0), callId: c9);

        // Agents: Ana works 08:00-17:00 with a 30-minute pause; Ion's night shift runs from the evening before until 02:00.
        await seed.AgentStateAsync(Ana, Local(2026, 3, 9, 18, 0), "logged_out");
        await seed.AgentStateAsync(Ana, Local(2026, 3, 10, 8, 0), "available");
        await seed.AgentStateAsync(Ana, Local(2026, 3, 10, 12, 0), "paused");
        await seed.AgentStateAsync(Ana, Local(2026, 3, 10, 12, 30), "available");
        await seed.AgentStateAsync(Ana, Local(2026, 3, 10, 17, 0), "logged_out");
        await seed.AgentStateAsync(Ion, Local(2026, 3, 9, 22, 0), "available");
        await seed.AgentStateAsync(Ion, Local(2026, 3, 10, 2, 0), "logged_out");
    }

    public ReportBuilder Builder(string? culture = null) => new(new ReportQueries(DataSource), Options.Create(new ReportOptions()),
        Options.Create(new CityOptions { TimeZone = "Europe/Bucharest", Culture = culture ?? "ro-RO", DefaultLanguage = "ro" }), TimeProvider.System);
}
