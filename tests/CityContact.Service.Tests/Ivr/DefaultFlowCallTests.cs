using CityContact.Service.Features.Calls;
using CityContact.Simulator.Scripting;

namespace CityContact.Service.Tests.Ivr;

/// <summary>Whole calls through the simulator, the service and PostgreSQL, on the default flow.</summary>
public sealed class DefaultFlowCallTests : IAsyncLifetime
{
    private const string CityNumber = "0256969";
    private IvrHost _host = null!;

    private static CancellationToken Ct => TestContext.Timeout(30);

    public async Task InitializeAsync() => _host = await IvrHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
    }

    private async Task<SimulatedCaller> ReachMainMenuAsync(string language = "1", IvrHost? host = null)
    {
        var caller = (host ?? _host).Sim.Trunk.Dial("+40256000001", CityNumber);
        await caller.WaitForPlaybackAsync(2, Ct); // choose-language
        await caller.PressAsync(language, Ct);
        await caller.WaitForPlaybackAsync(3, Ct); // main-menu
        return caller;
    }

    [Theory]
    [InlineData("1", "taxes")]
    [InlineData("2", "documents")]
    [InlineData("3", "complaints")]
    [InlineData("4", "urgent")]
    [InlineData("0", "operator")]
    public async Task Each_main_menu_digit_reaches_its_queue_and_the_call_ends_with_a_recorded_outcome(string digit, string queue)
    {
        var caller = await ReachMainMenuAsync();
        await caller.PressAsync(digit, Ct);
        await caller.WaitForHangupAsync(Ct);

        var (call, timeline) = await _host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(["welcome", "language", "hours", "main", queue], call.IvrPath);
        Assert.Equal(CallOutcomes.Failed, call.Outcome);
        Assert.Equal("queue-unavailable", call.HangupCause);
        Assert.Contains(timeline, e => e.Type == "queue.unavailable" && e.Data.Contains(queue, StringComparison.Ordinal));
        Assert.Single(timeline, e => e.Type == "ended");
        Assert.NotNull(call.AnsweredAt);
    }

    [Fact]
    public async Task A_digit_during_the_menu_prompt_stops_it_and_counts_as_the_choice()
    {
        // Prompts of 2 s, not the class's 30 ms: the digit must land while the menu still plays, even on a loaded runner.
        await using var host = await IvrHost.StartAsync(settings: new Dictionary<string, string?> { ["Simulator:DefaultMediaLengthMs"] = "2000" });
        var caller = await ReachMainMenuAsync(host: host);
        var menuPlayback = host.Sim.Playbacks.Single(p => p.MediaUri.EndsWith("/main-menu", StringComparison.Ordinal)).Id;
        await caller.PressAsync("2", Ct);
        await caller.WaitForHangupAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Contains(host.Sim.Requests, r => r.Method == "DELETE" && r.Path.EndsWith("/playbacks/" + menuPlayback, StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "barge-in" && e.Data.Contains("\"2\"", StringComparison.Ordinal));
        Assert.Equal("documents", call.IvrPath[^1]);
    }

    [Fact]
    public async Task Silence_and_invalid_digits_are_retried_with_their_prompts_then_the_caller_goes_to_the_operator()
    {
        var caller = await ReachMainMenuAsync();
        await caller.PressAsync("7", Ct);          // invalid; then two silent attempts time out
        await caller.WaitForHangupAsync(Ct);

        var (call, timeline) = await _host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Single(timeline, e => e.Type == "invalid");
        Assert.Equal(2, timeline.Count(e => e.Type == "timeout"));
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("invalid-choice", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("no-input", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "exit");
        Assert.Equal("operator", call.IvrPath[^1]);
    }

    [Fact]
    public async Task Choosing_english_plays_the_english_prompts_and_stores_the_language()
    {
        var caller = await ReachMainMenuAsync(language: "2");
        Assert.EndsWith("citycontact/en/main-menu", await caller.WaitForPlaybackAsync(3, Ct), StringComparison.Ordinal);
        await caller.HangUpAsync(Ct);

        var (call, _) = await _host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal("en", call.Language);
    }

    [Fact]
    public async Task Hanging_up_mid_prompt_closes_the_row_as_abandoned_and_leaves_nothing_behind()
    {
        var caller = _host.Sim.Trunk.Dial("+40256000002", CityNumber);
        await caller.WaitForPlaybackAsync(1, Ct);
        await caller.HangUpAsync(Ct);

        var (call, timeline) = await _host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(CallOutcomes.Abandoned, call.Outcome);
        Assert.Equal(["welcome"], call.IvrPath);
        Assert.Contains(timeline, e => e.Type == "hangup");
        await _host.Sim.WaitUntilAsync(s => s.Playbacks.Count == 0 && s.Bridges.Count == 0 && s.Channels.Count == 0, Ct);
        Assert.Equal(0, _host.App.ActiveCalls);
        Assert.Equal(0, _host.App.ActiveTimers);
    }
}
