using CityContact.RealAsterisk.Tests.Harness;
using CityContact.Service.Features.Calls;
using Dapper;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>
/// Menus with real key presses. The default flow as shipped where its prompts allow a quick call; retries and timeouts on a
/// flow an admin publishes with sub-second prompts (the shipped main menu alone lasts 15 s).
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class MainMenuTests(AsteriskFixture fixture)
{
    private const string CityNumber = "0256969";
    private const string QuickNumber = "0256100";

    /// <summary>One menu: 1 taxes, 2 documents, 0 operator; "one" as question, 1.5 s to answer, two retries, then the operator.</summary>
    private static readonly object QuickMenu = new
    {
        start = "main",
        fallback = "operator",
        languages = new[] { "ro", "en" },
        nodes = new Dictionary<string, object>
        {
            ["main"] = new
            {
                kind = "menu", prompts = new[] { "digit-1" }, options = new Dictionary<string, string> { ["1"] = "taxes", ["2"] = "documents", ["0"] = "operator" },
                timeoutMs = 1500, maxRetries = 2, noInputPrompt = "no-input", invalidPrompt = "invalid-choice", exit = "operator",
            },
            ["taxes"] = new { kind = "queue", queue = "taxes" },
            ["documents"] = new { kind = "queue", queue = "documents" },
            ["operator"] = new { kind = "queue", queue = "operator" },
        },
    };

    /// <summary>The quick menu with 3 opening a menu below it: there 1 documents, 9 back to the main menu.</summary>
    private static readonly object MenuBelowMenu = new
    {
        start = "main",
        fallback = "operator",
        languages = new[] { "ro", "en" },
        nodes = new Dictionary<string, object>
        {
            ["main"] = new
            {
                kind = "menu", prompts = new[] { "digit-1" }, options = new Dictionary<string, string> { ["1"] = "taxes", ["3"] = "more" },
                timeoutMs = 1500, maxRetries = 2, noInputPrompt = "no-input", invalidPrompt = "invalid-choice", exit = "operator",
            },
            ["more"] = new
            {
                kind = "menu", prompts = new[] { "digit-2" }, options = new Dictionary<string, string> { ["1"] = "documents", ["9"] = "main" },
                timeoutMs = 1500, maxRetries = 2, noInputPrompt = "no-input", invalidPrompt = "invalid-choice", exit = "operator",
            },
            ["taxes"] = new { kind = "queue", queue = "taxes" },
            ["documents"] = new { kind = "queue", queue = "documents" },
            ["operator"] = new { kind = "queue", queue = "operator" },
        },
    };

    /// <summary>A reference number typed after "one" (up to 8 digits, 1.5 s between them), then goodbye.</summary>
    private static readonly object ReferenceInput = new
    {
        start = "ask",
        languages = new[] { "ro", "en" },
        nodes = new Dictionary<string, object>
        {
            ["ask"] = new { kind = "input", prompts = new[] { "digit-1" }, variable = "reference", maxDigits = 8, interDigitTimeoutMs = 1500, next = "thanks" },
            ["thanks"] = new { kind = "play", prompts = new[] { "goodbye" }, next = "end" },
            ["end"] = new { kind = "hangup" },
        },
    };

    private AsteriskInstance Asterisk => fixture.Asterisk;

    [RealAsteriskFact]
    public async Task English_then_1_reaches_the_taxes_queue()
    {
        var ct = Timeouts.After(120);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), CityNumber);

        // 2 while choose-language plays, 1 three seconds into the main menu; hang up while the queue answers.
        var result = await caller.CallAsync([new Pause(InChooseLanguage()), Key('2'), Wait(3), Key('1'), Wait(8)], CallerEnding.HangsUp, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline);
        Assert.True(result.Answered, because);
        Assert.Equal("en", call.Language);
        Assert.True(call.IvrPath.SequenceEqual(["welcome", "language", "hours", "main", "taxes"]), because);
        Assert.Contains(timeline, e => e.Type == "queue.entered" && e.Data.Contains("\"taxes\"", StringComparison.Ordinal));
    }

    [RealAsteriskFact]
    public async Task An_invalid_key_is_answered_with_invalid_choice_and_the_menu_again_where_a_valid_key_counts()
    {
        var ct = Timeouts.After(120);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("quick", QuickNumber, QuickMenu, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QuickNumber);

        // 7 while the question plays; invalid-choice (1.9 s) and the question again, then 2 within its 1.5 s answer time.
        var result = await caller.CallAsync(
            [Wait(1), Key('7'), new Pause(Asterisk.PromptLength("ro", "invalid-choice") + TimeSpan.FromSeconds(1)), Key('2'), Wait(3)],
            CallerEnding.HangsUp, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline);
        Assert.True(result.Answered, because);
        var invalid = Assert.Single(timeline, e => e.Type == "invalid");
        Assert.Contains("\"7\"", invalid.Data, StringComparison.Ordinal);
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("invalid-choice", StringComparison.Ordinal));
        Assert.DoesNotContain(timeline, e => e.Type == "timeout");
        Assert.True(call.IvrPath.SequenceEqual(["main", "documents"]), because);
    }

    [RealAsteriskFact]
    public async Task In_a_menu_below_the_main_menu_an_invalid_key_repeats_that_menu_9_goes_back_up_and_1_reaches_documents()
    {
        var ct = Timeouts.After(120);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("nested", QuickNumber, MenuBelowMenu, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QuickNumber);
        var afterInvalid = new Pause(Asterisk.PromptLength("ro", "invalid-choice") + TimeSpan.FromSeconds(1));

        // 3 down; 5 is no option there (invalid-choice, the lower menu again); 9 back up; 3 down again; 1 for documents.
        var result = await caller.CallAsync(
            [Wait(1), Key('3'), Wait(1), Key('5'), afterInvalid, Key('9'), Wait(1), Key('3'), Wait(1), Key('1'), Wait(3)],
            CallerEnding.HangsUp, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline);
        Assert.True(result.Answered, because);
        Assert.True(call.IvrPath.SequenceEqual(["main", "more", "main", "more", "documents"]), because);
        var invalid = Assert.Single(timeline, e => e.Type == "invalid");
        Assert.Contains("\"more\"", invalid.Data, StringComparison.Ordinal);
        // The lower menu's question was asked three times (twice on the first visit, once on the second), the main one twice.
        Assert.Equal(3, timeline.Count(e => e.Type == "prompt" && e.Data.Contains("/digit-2", StringComparison.Ordinal)));
        Assert.Equal(2, timeline.Count(e => e.Type == "prompt" && e.Data.Contains("/digit-1", StringComparison.Ordinal)));
        Assert.DoesNotContain(timeline, e => e.Type == "timeout");
        Assert.Contains(timeline, e => e.Type == "queue.entered" && e.Data.Contains("\"documents\"", StringComparison.Ordinal));
    }

    [RealAsteriskFact]
    public async Task Digits_typed_at_an_input_node_end_at_the_inter_digit_timeout_and_are_kept_with_the_call()
    {
        var ct = Timeouts.After(90);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("reference", QuickNumber, ReferenceInput, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QuickNumber);

        // 4 while the question plays, then 2 and 7; no #: the input ends 1.5 s after the last key.
        var result = await caller.CallAsync([Wait(0.3), Key('4'), Wait(0.4), Key('2'), Wait(0.4), Key('7')], CallerEnding.WaitsForHangup, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline);
        Assert.True(result.Answered && result.HungUpByAsterisk && result.ExitCode == 0, because);
        Assert.True(call.IvrPath.SequenceEqual(["ask", "thanks", "end"]), because);
        await using var connection = await service.Database.DataSource.OpenConnectionAsync(ct);
        var variables = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT ivr_variables ->> 'reference' FROM calls WHERE id = @id", new { id = call.Id }, cancellationToken: ct));
        Assert.True(variables == "427", $"reference {variables}\n{because}");
    }

    [RealAsteriskFact]
    public async Task A_silent_caller_hears_no_input_after_each_try_and_then_goes_to_the_operator()
    {
        var ct = Timeouts.After(120);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.PublishFlowAsync("quick", QuickNumber, QuickMenu, ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), QuickNumber);
        // Three tries of question, 1.5 s of silence and no-input; then the operator's queue answers.
        var tries = 3 * (Asterisk.PromptLength("ro", "digit-1") + TimeSpan.FromSeconds(1.5) + Asterisk.PromptLength("ro", "no-input"));

        var result = await caller.CallAsync([new Pause(tries + TimeSpan.FromSeconds(4))], CallerEnding.HangsUp, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline);
        Assert.True(result.Answered, because);
        Assert.Equal(3, timeline.Count(e => e.Type == "timeout"));
        Assert.Equal(3, timeline.Count(e => e.Type == "prompt" && e.Data.Contains("no-input", StringComparison.Ordinal)));
        Assert.Contains(timeline, e => e.Type == "exit" && e.Data.Contains("operator", StringComparison.Ordinal));
        Assert.True(call.IvrPath.SequenceEqual(["main", "operator"]), because);
    }

    [RealAsteriskFact]
    public async Task After_hours_the_caller_hears_the_closed_message_and_goodbye_and_the_city_hangs_up()
    {
        var ct = Timeouts.After(120);
        var saturdayMorning = new DateTimeOffset(2025, 3, 15, 8, 0, 0, TimeSpan.Zero);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct, now: saturdayMorning);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), CityNumber);

        var result = await caller.CallAsync([new Pause(InChooseLanguage()), Key('2')], CallerEnding.WaitsForHangup, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline);
        Assert.True(result.Answered && result.HungUpByAsterisk && result.ExitCode == 0, because);
        Assert.Contains(timeline, e => e.Type == "hours" && e.Data.Contains("\"closed\"", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("en/after-hours", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("en/goodbye", StringComparison.Ordinal));
        Assert.Equal(CallOutcomes.SelfService, call.Outcome);
        Assert.True(call.IvrPath.Take(4).SequenceEqual(["welcome", "language", "hours", "after-hours"]), because);
    }

    [RealAsteriskFact]
    public async Task On_a_holiday_declared_by_the_admin_the_caller_hears_the_holiday_message_in_office_hours()
    {
        var ct = Timeouts.After(120);
        await using var service = await RealAsteriskService.StartAsync(Asterisk, ct);
        await service.DeclareHolidayAsync(DateOnly.FromDateTime(RealAsteriskService.WednesdayMorning.UtcDateTime), "City day", ct);
        var caller = new SippCaller(Asterisk, SippCaller.UniqueCallerNumber(), CityNumber);

        var result = await caller.CallAsync([new Pause(InChooseLanguage()), Key('2')], CallerEnding.WaitsForHangup, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = Because(result, timeline);
        Assert.True(result.Answered && result.HungUpByAsterisk && result.ExitCode == 0, because);
        Assert.Contains(timeline, e => e.Type == "hours" && e.Data.Contains("\"holiday\"", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("en/holiday", StringComparison.Ordinal));
        Assert.True(call.IvrPath.Take(4).SequenceEqual(["welcome", "language", "hours", "holiday"]), because);
    }

    /// <summary>2 s into choose-language, after the welcome in the city's default language (Romanian).</summary>
    private TimeSpan InChooseLanguage() => Asterisk.PromptLength("ro", "welcome") + TimeSpan.FromSeconds(2);

    private string Because(CallerResult result, IReadOnlyList<CallEvent> timeline) =>
        $"{result}\n{string.Join('\n', timeline.Select(e => $"{e.Type} {e.Data}"))}\n{Asterisk.LogTail(15)}";
}
