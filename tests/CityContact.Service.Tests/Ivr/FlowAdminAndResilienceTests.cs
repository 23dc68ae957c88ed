using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CityContact.Service.Tests.Ivr;

/// <summary>Flow publishing through the admin REST API, and calls that survive a lost database or WebSocket.</summary>
public sealed class FlowAdminAndResilienceTests : IAsyncLifetime
{
    private IvrHost _host = null!;

    private static CancellationToken Ct => TestContext.Timeout(40);

    public async Task InitializeAsync() => _host = await IvrHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JsonElement Definition(Func<FlowDefinition, FlowDefinition> change) =>
        JsonSerializer.SerializeToElement(change(DefaultFlow.Definition), FlowDefinition.Json);

    private async Task<long> DefaultFlowIdAsync(HttpClient admin)
    {
        var flows = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/flows", Ct);
        return flows.GetProperty("items").EnumerateArray().Single(f => f.GetProperty("code").GetString() == DefaultFlow.Code).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task Validation_names_the_node_and_field_of_every_error()
    {
        using var admin = _host.Admin();
        var id = await DefaultFlowIdAsync(admin);
        var broken = Definition(d => d with
        {
            Nodes = new Dictionary<string, FlowNode>(d.Nodes)
            {
                ["main"] = d.Nodes["main"] with { Options = new Dictionary<string, string> { ["1"] = "nowhere", ["12"] = "taxes" }, Prompts = ["no-such-prompt"] },
                ["taxes"] = d.Nodes["taxes"] with { Queue = "no-such-queue" },
                ["hours"] = d.Nodes["hours"] with { Schedule = "no-such-schedule" },
                ["orphan"] = new FlowNode { Kind = NodeKinds.Play, Prompts = ["goodbye"], Next = "spin" },
                ["spin"] = new FlowNode { Kind = NodeKinds.Play, Prompts = ["goodbye"], Next = "orphan" },
            },
        });
        var draft = await (await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/drafts", new { definition = broken }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var version = draft.GetProperty("version").GetInt32();

        var report = await (await admin.PostAsync($"/api/ivr/flows/{id}/versions/{version}/validate", null, Ct)).Content.ReadFromJsonAsync<ValidationReport>(Ct);
        Assert.False(report!.Valid);
        var errors = report.Errors.Select(e => $"{e.Node}.{e.Field}").ToHashSet();
        Assert.Contains("main.options.1", errors);           // dangling edge
        Assert.Contains("main.options.12", errors);          // invalid digit
        Assert.Contains("main.prompts[0]", errors);          // missing prompt in ro and en
        Assert.Contains("taxes.queue", errors);              // unknown queue
        Assert.Contains("hours.schedule", errors);           // unknown schedule
        Assert.Contains("orphan.kind", errors);              // unreachable
        Assert.Contains(report.Errors, e => e.Message.Contains("loop without input", StringComparison.Ordinal));

        var publish = await admin.PostAsync($"/api/ivr/flows/{id}/versions/{version}/publish", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, publish.StatusCode);
        Assert.Equal("application/problem+json", publish.Content.Headers.ContentType?.MediaType);
        var live = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/numbers", Ct);
        Assert.Equal(1, live.GetProperty("items").EnumerateArray().Single().GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Duplicate_digits_and_malformed_json_are_refused()
    {
        using var admin = _host.Admin();
        var id = await DefaultFlowIdAsync(admin);
        var json = DefaultFlow.Definition.ToJson().Replace("\"1\":\"taxes\"", "\"1\":\"taxes\",\"1\":\"documents\"", StringComparison.Ordinal);
        Assert.Contains(FlowValidator.Validate(json, new AllKnown()).Errors, e => e is { Node: "main", Field: "options.1" });

        var malformed = await admin.PostAsync($"/api/ivr/flows/{id}/drafts", new StringContent("{\"definition\": {", System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task A_call_in_progress_finishes_on_its_version_while_new_calls_get_the_published_one_and_rollback_restores_it()
    {
        using var admin = _host.Admin();
        var id = await DefaultFlowIdAsync(admin);
        var before = _host.Sim.Trunk.Dial("+40256000010", "0256969");
        await before.WaitForPlaybackAsync(2, Ct);
        await before.PressAsync("1", Ct);
        await before.WaitForPlaybackAsync(3, Ct); // the main menu of version 1
        var changed = Definition(d => d with
        {
            Nodes = new Dictionary<string, FlowNode>(d.Nodes) { ["main"] = d.Nodes["main"] with { Options = new Dictionary<string, string> { ["1"] = "end", ["2"] = "documents", ["3"] = "complaints", ["4"] = "urgent", ["9"] = "taxes", ["0"] = "operator" } } },
        });
        var draft = await (await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/drafts", new { definition = changed }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var publish = await admin.PostAsync($"/api/ivr/flows/{id}/versions/{draft.GetProperty("version").GetInt32()}/publish", null, Ct);
        Assert.Equal(HttpStatusCode.OK, publish.StatusCode);
        await before.PressAsync("1", Ct);

        var after = _host.Sim.Trunk.Dial("+40256000011", "0256969");
        await after.WaitForPlaybackAsync(2, Ct);
        await after.PressAsync("1", Ct);
        await after.WaitForPlaybackAsync(3, Ct);
        await after.PressAsync("1", Ct);

        Assert.Equal("end", (await _host.EndedCallAsync(after.ChannelId, Ct)).Call.IvrPath[^1]);
        Assert.Equal("taxes", (await _host.EndedCallAsync(before.ChannelId, Ct)).Call.IvrPath[^1]);

        var rollback = await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/rollback", new { version = 1 }, Ct);
        Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
        var versions = await admin.GetFromJsonAsync<JsonElement>($"/api/ivr/flows/{id}/versions", Ct);
        Assert.Equal(1, versions.GetProperty("items").EnumerateArray().Single(v => v.GetProperty("live").GetBoolean()).GetProperty("version").GetInt32());
        Assert.Equal(2, versions.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Callers_are_answered_and_routed_while_postgresql_refuses_connections_and_every_row_is_written_once_it_returns()
    {
        await SetConnectionsAllowedAsync(false);
        var callers = Enumerable.Range(0, 6).Select(i => _host.Sim.Trunk.Dial($"+4025600002{i}", "0256969")).ToList();
        for (var i = 0; i < callers.Count; i++)
        {
            await callers[i].WaitForPlaybackAsync(2, Ct);
            if (i % 2 == 0)
            {
                await callers[i].HangUpAsync(Ct);
                continue;
            }
            // Routed through the menus to the documents queue while the database is away.
            await callers[i].PressAsync("1", Ct);
            await callers[i].WaitForPlaybackAsync(3, Ct);
            await callers[i].PressAsync("2", Ct);
            await callers[i].WaitForHangupAsync(Ct);
        }
        Assert.True(_host.Recorder.Pending > 0);
        await SetConnectionsAllowedAsync(true);

        for (var i = 0; i < callers.Count; i++)
        {
            var (call, timeline) = await _host.EndedCallAsync(callers[i].ChannelId, Ct);
            Assert.Equal(i % 2 == 0 ? CallOutcomes.Abandoned : CallOutcomes.Failed, call.Outcome);
            Assert.Equal(i % 2 == 0 ? "language" : "documents", call.IvrPath[^1]);
            Assert.Single(timeline, e => e.Type == "started");
            Assert.Single(timeline, e => e.Type == "ended");
            Assert.Equal(timeline.Count, timeline.Select(e => (e.At, e.Type, e.Data)).Distinct().Count());
        }
        Assert.Equal(0, _host.Recorder.DroppedCount);
    }

    [Fact]
    public async Task A_call_survives_a_dropped_ari_websocket_and_its_row_is_completed()
    {
        var caller = _host.Sim.Trunk.Dial("+40256000030", "0256969");
        await caller.WaitForPlaybackAsync(2, Ct);
        await caller.PressAsync("1", Ct);
        await caller.WaitForPlaybackAsync(3, Ct);
        var connections = _host.Services.GetService<CityContact.Service.Infrastructure.Telephony.AsteriskConnection>()!.Ari.Events.Connections;
        _host.Sim.DropWebSockets();
        while (_host.Services.GetService<CityContact.Service.Infrastructure.Telephony.AsteriskConnection>()!.Ari.Events.Connections == connections)
        {
            await Task.Delay(20, Ct);
        }
        await _host.Sim.WaitUntilAsync(s => s.ConnectedApplications.Contains("citycontact"), Ct);
        await caller.PressAsync("2", Ct);
        await caller.WaitForHangupAsync(Ct);

        var (call, _) = await _host.EndedCallAsync(caller.ChannelId, Ct);
        Assert.Equal("documents", call.IvrPath[^1]);
        Assert.NotNull(call.EndedAt);
    }

    private async Task SetConnectionsAllowedAsync(bool allowed)
    {
        var name = _host.Database.Name;
        await using var server = NpgsqlDataSource.Create(Infrastructure.PostgresServer.ConnectionString);
        await server.CreateCommand($"ALTER DATABASE {name} ALLOW_CONNECTIONS {(allowed ? "true" : "false")}").ExecuteNonQueryAsync(Ct);
        if (!allowed)
        {
            await server.CreateCommand($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'").ExecuteNonQueryAsync(Ct);
        }
    }

    private sealed class AllKnown : IFlowReferences
    {
        public bool PromptExists(string key, string language) => true;

        public bool QueueExists(string code) => true;

        public bool ScheduleExists(string code) => true;
    }
}
