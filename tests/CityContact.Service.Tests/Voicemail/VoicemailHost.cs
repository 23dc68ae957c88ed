using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Service.Tests.Ivr;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using CityContact.Simulator.Scripting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Voicemail;

/// <summary>The queue's callback path as the tests see it: every request, in order.</summary>
public sealed class RecordingCallbackScheduler : ICallbackScheduler
{
    private readonly ConcurrentQueue<CallbackRequest> _requests = new();
    private long _nextId;

    public IReadOnlyList<CallbackRequest> Requests => [.. _requests];

    public Task<long> RequestAsync(CallbackRequest request, CancellationToken cancellationToken)
    {
        _requests.Enqueue(request);
        return Task.FromResult(Interlocked.Increment(ref _nextId));
    }
}

/// <summary>
/// The whole service with the in-process simulator on a database of its own, the default flow extended with the nodes
/// under test (after hours → voicemail; main menu 6 → ticket status → survey; 7 → voicemail during office hours), a
/// recording callback scheduler and a clock starting at a chosen instant (real speed: recordings last real seconds).
/// </summary>
public sealed class VoicemailHost : IAsyncDisposable
{
    public const string CityNumber = "0256969";
    public const string Citizen = "+40256000001";

    private readonly IvrHost _host;

    private VoicemailHost(IvrHost host, RecordingCallbackScheduler callbacks)
    {
        _host = host;
        Callbacks = callbacks;
    }

    public TimeProvider Time => _host.Time;

    public IServiceProvider Services => _host.Services;

    public AsteriskSimulator Sim => _host.Sim;

    public RecordingCallbackScheduler Callbacks { get; }

    public TicketService Tickets => Services.GetRequiredService<TicketService>();

    public TicketStore TicketStore => Services.GetRequiredService<TicketStore>();

    public HttpClient Client() => _host.Client();

    public HttpClient Admin() => _host.Admin();

    public static async Task<VoicemailHost> StartAsync(DateTimeOffset now, CancellationToken ct, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var callbacks = new RecordingCallbackScheduler();
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        all.TryAdd("Voicemail:ReviewTimeoutMs", "1500");
        var ivr = await IvrHost.StartAsync(now, all, testServices: services => services.AddSingleton<ICallbackScheduler>(callbacks));
        var host = new VoicemailHost(ivr, callbacks);
        await host.PublishFlowAsync(ct);
        return host;
    }

    private async Task PublishFlowAsync(CancellationToken ct)
    {
        using var admin = Admin();
        var flows = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/flows", ct);
        var id = flows.GetProperty("items").EnumerateArray().Single(f => f.GetProperty("code").GetString() == DefaultFlow.Code).GetProperty("id").GetInt64();
        var main = DefaultFlow.Definition.Nodes["main"];
        var nodes = new Dictionary<string, FlowNode>(DefaultFlow.Definition.Nodes)
        {
            ["main"] = main with { Options = new Dictionary<string, string>(main.Options!) { ["6"] = "status", ["7"] = "voicemail" } },
            ["after-hours"] = new() { Kind = NodeKinds.Play, Prompts = ["after-hours"], Next = "voicemail" },
            ["voicemail"] = new() { Kind = NodeKinds.Voicemail, Queue = "complaints" },
            ["status"] = new() { Kind = NodeKinds.TicketStatus, Prompts = ["ticket-status-enter"], MaxRetries = 0, Next = "rate" },
            ["rate"] = new() { Kind = NodeKinds.Survey, Prompts = ["survey-question"], InvalidPrompt = "invalid-choice", Next = "end" },
        };
        var definition = JsonSerializer.SerializeToElement(DefaultFlow.Definition with { Nodes = nodes }, FlowDefinition.Json);
        var draft = await (await admin.PostAsJsonAsync($"/api/ivr/flows/{id}/drafts", new { definition }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        var publish = await admin.PostAsync($"/api/ivr/flows/{id}/versions/{draft.GetProperty("version").GetInt32()}/publish", null, ct);
        Assert.True(publish.StatusCode == HttpStatusCode.OK, await publish.Content.ReadAsStringAsync(ct));
        var catalog = Services.GetRequiredService<FlowCatalog>();
        while (catalog.ForNumber(CityNumber).Definition.Nodes.Count != nodes.Count)
        {
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Dials the city and chooses a language (1 ro, 2 en).</summary>
    public async Task<SimulatedCaller> DialAsync(string from, string language, CancellationToken ct)
    {
        var caller = Sim.Trunk.Dial(from, CityNumber);
        await caller.WaitForPlaybackAsync(2, ct); // choose-language
        await caller.PressAsync(language, ct);
        return caller;
    }

    /// <summary>Waits until the caller hears <paramref name="key"/> as playback number <paramref name="from"/> or later; returns its number.</summary>
    public static async Task<int> WaitForPromptAsync(SimulatedCaller caller, string key, int from, CancellationToken ct)
    {
        for (var n = from; ; n++)
        {
            var media = await caller.WaitForPlaybackAsync(n, ct);
            if (media.EndsWith("/" + key, StringComparison.Ordinal))
            {
                return n;
            }
        }
    }

    /// <summary>Waits until the caller's message is being recorded; returns the recording's name.</summary>
    public async Task<string> WaitForRecordingAsync(SimulatedCaller caller, int attempt, CancellationToken ct)
    {
        var name = CityContact.Service.Features.Voicemail.VoicemailRecorder.RecordingName("voicemail-", caller.ChannelId, attempt);
        await Sim.WaitUntilAsync(s => s.LiveRecordings.Any(r => r.Name == name && r.State == "recording"), ct);
        return name;
    }

    public Task<(Call Call, IReadOnlyList<CallEvent> Timeline)> EndedCallAsync(string channelId, CancellationToken ct) =>
        _host.EndedCallAsync(channelId, ct);

    public async Task<Ticket?> TicketOfCallAsync(long callId, CancellationToken ct)
    {
        await using var connection = await _host.Database.DataSource.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM tickets WHERE call_id = $1";
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = callId });
        return await command.ExecuteScalarAsync(ct) is long id ? await TicketStore.GetAsync(id, ct) : null;
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
