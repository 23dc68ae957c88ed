using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Simulator.Scripting;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Ivr;

/// <summary>Transfers, holidays, a DST-change day and the language fallback, each through the simulator with calls end to end.</summary>
public sealed class IvrScenarioTests
{
    private const string CityNumber = "0256969";

    private static CancellationToken Ct => TestContext.Timeout(40);

    private static async Task<SimulatedCaller> ReachMainMenuAsync(IvrHost host, string language = "1")
    {
        var caller = host.Sim.Trunk.Dial("+40256000001", CityNumber);
        await caller.WaitForPlaybackAsync(2, Ct); // choose-language
        await caller.PressAsync(language, Ct);
        await caller.WaitForPlaybackAsync(3, Ct); // main-menu
        return caller;
    }

    /// <summary>Publishes the default flow with extra main-menu options leading to extra nodes.</summary>
    private static async Task PublishDefaultWithAsync(IvrHost host, IReadOnlyDictionary<string, string> options, IReadOnlyDictionary<string, FlowNode> nodes)
    {
        using var admin = host.Admin();
        var flows = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/flows", Ct);
        var id = flows.GetProperty("items").EnumerateArray().Single(f => f.GetProperty("code").GetString() == DefaultFlow.Code).GetProperty("id").GetInt64();
        var main = DefaultFlow.Definition.Nodes["main"];
        var all = new Dictionary<string, FlowNode>(DefaultFlow.Definition.Nodes)
        {
            ["main"] = main with { Options = new Dictionary<string, string>(main.Options!).Concat(options).ToDictionary() },
        };
        foreach (var (name, node) in nodes)
        {
            all[name] = node;
        }
        var definition = JsonSerializer.SerializeToElement(DefaultFlow.Definition with { Nodes = all }, FlowDefinition.Json);
        var draft = await (await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/drafts", new { definition }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var publish = await admin.PostAsync($"/api/ivr/flows/{id}/versions/{draft.GetProperty("version").GetInt32()}/publish", null, Ct);
        Assert.True(publish.StatusCode == HttpStatusCode.OK, await publish.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>Replaces the city-hall schedule over the admin API.</summary>
    private static async Task PutCityHallAsync(IvrHost host, IEnumerable<int> days, params object[] holidays)
    {
        using var admin = host.Admin();
        var schedules = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/schedules", Ct);
        var id = schedules.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("code").GetString() == DefaultFlow.ScheduleCode).GetProperty("id").GetInt64();
        var response = await admin.PutAsJsonAsync($"/api/ivr/schedules/{id}", new
        {
            code = DefaultFlow.ScheduleCode,
            name = "City hall",
            timeZone = "Europe/Bucharest",
            hours = days.Select(d => new { dayOfWeek = d, opens = "08:00", closes = "16:00" }),
            holidays,
        }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_transfer_to_an_internal_extension_bridges_the_caller_with_the_phone_until_it_hangs_up()
    {
        await using var host = await IvrHost.StartAsync();
        await PublishDefaultWithAsync(host, new Dictionary<string, string> { ["5"] = "desk" },
            new Dictionary<string, FlowNode> { ["desk"] = new() { Kind = NodeKinds.Transfer, Extension = "agent1" } });
        var phone = host.Sim.Phone("agent1").AnswerAfter(TimeSpan.Zero);
        await phone.RegisterAsync(Ct);

        var caller = await ReachMainMenuAsync(host);
        await caller.PressAsync("5", Ct);
        await phone.WaitForAnsweredCallAsync(Ct);
        await host.Sim.WaitUntilAsync(s => s.Bridges.Any(b => b.Channels.Length == 2), Ct);
        await phone.HangUpAsync(Ct);
        await caller.WaitForHangupAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(["welcome", "language", "hours", "main", "desk"], call.IvrPath);
        Assert.Equal(CallOutcomes.Answered, call.Outcome);
        Assert.Equal("callee-hangup", call.HangupCause);
        Assert.Contains(timeline, e => e.Type == "transfer" && e.Data.Contains("PJSIP/agent1", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == "transfer.connected");
        await host.Sim.WaitUntilAsync(s => s.Bridges.Count == 0 && s.Channels.Count == 0, Ct);
    }

    [Fact]
    public async Task A_transfer_to_an_external_number_not_on_the_allow_list_is_refused_and_the_caller_goes_to_the_operator()
    {
        await using var host = await IvrHost.StartAsync(settings: new Dictionary<string, string?> { ["Ivr:TransferAllowList:0"] = @"0256\d{6}" });
        var outside = new Dictionary<string, FlowNode> { ["outside"] = new() { Kind = NodeKinds.Transfer, Number = "0721000000" } };
        // Publishing such a flow is refused now; one published before (or before the allow-list narrowed) is still refused at run time.
        var refused = await Assert.ThrowsAsync<Xunit.Sdk.TrueException>(() => PublishDefaultWithAsync(host, new Dictionary<string, string> { ["6"] = "outside" }, outside));
        Assert.Contains("nodes.outside.number", refused.Message, StringComparison.Ordinal);
        await using (var command = host.Database.DataSource.CreateCommand("""
            WITH v AS (
                UPDATE ivr_flow_versions SET published_at = now(), published_by = 'before the allow-list'
                WHERE flow_id = (SELECT id FROM ivr_flows WHERE code = $1) AND published_at IS NULL
                RETURNING id, flow_id
            )
            UPDATE ivr_flows f SET live_version_id = v.id FROM v WHERE f.id = v.flow_id
            """))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = DefaultFlow.Code });
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }
        await host.Services.GetRequiredService<FlowCatalog>().RefreshAsync(Ct);

        var caller = await ReachMainMenuAsync(host);
        await caller.PressAsync("6", Ct);
        await caller.WaitForHangupAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(["welcome", "language", "hours", "main", "outside", "operator"], call.IvrPath);
        Assert.Contains(timeline, e => e.Type == "transfer.refused");
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("transfer-failed", StringComparison.Ordinal));
        Assert.DoesNotContain(host.Sim.Requests, r => r.Parameters.Values.Any(v => v.Contains("0721000000", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_call_on_a_holiday_hears_the_holiday_message()
    {
        // Wednesday 2025-03-12, 10:00 in Bucharest: open on an ordinary week, closed by the holiday added over REST.
        await using var host = await IvrHost.StartAsync();
        await PutCityHallAsync(host, [1, 2, 3, 4, 5], new { day = "2025-03-12", name = "City day" });

        var caller = host.Sim.Trunk.Dial("+40256000050", CityNumber);
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForHangupAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(["welcome", "language", "hours", "holiday", "end"], call.IvrPath);
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("citycontact/ro/holiday", StringComparison.Ordinal));
        Assert.Equal(CallOutcomes.SelfService, call.Outcome);
    }

    [Theory]
    // 2025-03-30, the day clocks go forward in Bucharest (03:00 EET → 04:00 EEST): 08:00 local is 05:00 UTC that
    // morning, not 06:00 as the day before. A schedule read with a fixed offset would be wrong by an hour.
    [InlineData("2025-03-30T05:30:00Z", "main")]
    [InlineData("2025-03-30T04:30:00Z", "after-hours")]
    public async Task On_the_dst_change_day_the_schedule_opens_at_local_eight(string instant, string branch)
    {
        await using var host = await IvrHost.StartAsync(DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));
        await PutCityHallAsync(host, [1, 2, 3, 4, 5, 6, 7]);

        var caller = host.Sim.Trunk.Dial("+40256000060", CityNumber);
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        var third = await caller.WaitForPlaybackAsync(3, Ct);
        await caller.HangUpAsync(Ct);

        var (call, _) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal(["welcome", "language", "hours", branch], call.IvrPath[..4]);
        Assert.EndsWith(branch == "main" ? "/main-menu" : "/after-hours", third, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_missing_in_english_falls_back_to_romanian()
    {
        using var sounds = new SoundsDirectoryCopy();
        File.Delete(sounds.PathOf("en", "main-menu"));
        await using var host = await IvrHost.StartAsync(settings: new Dictionary<string, string?> { ["Prompts:SoundsDirectory"] = sounds.Root });

        var caller = await ReachMainMenuAsync(host, language: "2");
        var language = await caller.WaitForPlaybackAsync(2, Ct);
        var menu = await caller.WaitForPlaybackAsync(3, Ct);
        await caller.HangUpAsync(Ct);

        var (call, timeline) = await host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal("sound:citycontact/ro/choose-language", language);
        Assert.Equal("sound:citycontact/ro/main-menu", menu);
        Assert.Equal("en", call.Language);
        Assert.Contains(timeline, e => e.Type == "prompt" && e.Data.Contains("sound:citycontact/ro/main-menu", StringComparison.Ordinal));
    }
}
