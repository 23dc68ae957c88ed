using CityContact.RealAsterisk.Tests.Harness;
using Dapper;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// A citizen follows their ticket by phone with real key presses: the request number typed digit by digit and ended with #,
/// the status read back to the number that filed it, then a 1–5 rating of the answer (the ticket-status and survey nodes).
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class TicketStatusTests(AsteriskFixture fixture)
{
    private const string StatusNumber = "0256300";

    private static readonly object StatusFlow = new
    {
        start = "status",
        languages = new[] { "ro", "en" },
        nodes = new Dictionary<string, object>
        {
            ["status"] = new { kind = "ticket-status", prompts = new[] { "ticket-status-enter" }, maxRetries = 1, interDigitTimeoutMs = 3000, next = "rate" },
            ["rate"] = new { kind = "survey", prompts = new[] { "survey-question" }, next = "end" },
            ["end"] = new { kind = "hangup" },
        },
    };

    private AsteriskInstance Asterisk => fixture.Asterisk;

    [RealAsteriskFact]
    public async Task The_citizen_types_the_ticket_number_and_hash_hears_it_is_resolved_and_rates_it_with_a_key()
    {
        var ct = Timeouts.After(120);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("status", StatusNumber, StatusFlow, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), StatusNumber);
        var (ticket, number) = await service.FileResolvedTicketAsync(caller.CallerNumber, ct);
        var digits = number.Where(char.IsAsciiDigit).ToArray();
        // The number back digit by digit and "resolved", then 2 s into the survey's question.
        var readBack = Asterisk.PromptLength("ro", "ticket-status-is")
            + digits.Aggregate(TimeSpan.Zero, (sum, d) => sum + Asterisk.PromptLength("ro", $"digit-{d}"))
            + Asterisk.PromptLength("ro", "ticket-status-resolved") + TimeSpan.FromSeconds(2);
        List<CallerStep> steps = [Wait(1)];
        foreach (var digit in digits)
        {
            steps.AddRange([Key(digit), Wait(0.3)]);
        }
        steps.AddRange([Key('#'), new Pause(readBack), Key('4')]);

        var result = await caller.CallAsync(steps, CallerEnding.WaitsForHangup, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = $"{result}\n{string.Join('\n', timeline.Select(e => $"{e.Type} {e.Data}"))}\n{Asterisk.LogTail(15)}";
        Assert.True(result.Answered && result.HungUpByAsterisk && result.ExitCode == 0, because);
        // Every digit arrived once and in order: the number the citizen typed is the ticket's.
        Assert.Contains(timeline, e => e.Type == "ticket-status.read" && e.Data.Contains(number, StringComparison.Ordinal));
        Assert.DoesNotContain(timeline, e => e.Type is "ticket-status.not-found" or "ticket-status.no-input");
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("ticket-status-resolved", StringComparison.Ordinal));
        Assert.True(call.IvrPath.SequenceEqual(["status", "rate", "end"]), because);
        await using var connection = await service.Database.DataSource.OpenConnectionAsync(ct);
        var rating = await connection.QuerySingleAsync<(short? Rating, string? Channel)>(new CommandDefinition(
            "SELECT rating, rating_channel FROM tickets WHERE id = @ticket", new { ticket }, cancellationToken: ct));
        Assert.True(rating == (4, "ivr"), $"rating {rating}\n{because}");
    }
}
