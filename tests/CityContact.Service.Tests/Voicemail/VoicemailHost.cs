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

    private readonly Factory _factory;
    private readonly DatabaseFixture _database;

    private VoicemailHost(Factory factory, DatabaseFixture database, TimeProvider time)
    {
        _factory = factory;
        _database = database;
        Time = time;
    }

    public TimeProvider Time { get; }

    public IServiceProvider Services => _factory.Services;

    public AsteriskSimulator Sim => Services.GetRequiredService<AsteriskConnection>().Simulator!;

    public RecordingCallbackScheduler Callbacks { get; private init; } = new();

    public TicketService Tickets => Services.GetRequiredService<TicketService>();

    public TicketStore TicketStore => Services.GetRequiredService<TicketStore>();

    public HttpClient Client() => _factory.CreateClient();

    public HttpClient Admin()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ServiceFactory.AdminKey);
        return client;
    }

    public static async Task<VoicemailHost> StartAsync(DateTimeOffset now, CancellationToken ct, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var database = new DatabaseFixture();
        await database.InitializeAsync();
        var time = new ScaledTimeProvider(1, now);
        var callbacks = new RecordingCallbackScheduler();
        var factory = new Factory(database.ConnectionString, time, callbacks, settings ?? new Dictionary<string, string?>());
        var host = new VoicemailHost(factory, database, time) { Callbacks = callbacks };
        _ = factory.Server;
        var catalog = host.Services.GetRequiredService<FlowCatalog>();
        while (!catalog.Loaded || !host.Sim.ConnectedApplications.Contains("citycontact"))
        {
            await Task.Delay(20, ct);
        }
        await host.PublishFlowAsync(ct);
        return host;
    }

    private async Task PublishFlowAsync(CancellationToken ct)
    {
        using var admin = Admin();
        var flows = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/flows", ct);
        var id = flows.EnumerateArray().Single(f => f.GetProperty("code").GetString() == DefaultFlow.Code).GetProperty("id").GetInt64();
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

    public async Task<(Call Call, IReadOnlyList<CallEvent> Timeline)> EndedCallAsync(string channelId, CancellationToken ct)
    {
        await Sim.WaitUntilAsync(s => s.Channels.All(c => c.UniqueId != channelId), ct);
        var app = Services.GetRequiredService<IvrApp>();
        while (app.Calls.Any(c => c.ChannelId == channelId))
        {
            await Task.Delay(10, ct);
        }
        await Services.GetRequiredService<CallRecorder>().WaitUntilStoredAsync(ct);
        var calls = Services.GetRequiredService<CallStore>();
        var page = await calls.ListAsync(new CallFilter(null, null, null, null, null), new CityContact.Service.Infrastructure.Http.PageRequest(500, 0), ct);
        var call = page.Items.Single(c => c.ChannelId == channelId);
        return (call, await calls.TimelineAsync(call.Id, ct));
    }

    public async Task<Ticket?> TicketOfCallAsync(long callId, CancellationToken ct)
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM tickets WHERE call_id = $1";
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = callId });
        return await command.ExecuteScalarAsync(ct) is long id ? await TicketStore.GetAsync(id, ct) : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _database.DisposeAsync();
    }

    private sealed class Factory(string connectionString, TimeProvider time, ICallbackScheduler callbacks, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<ServiceEntryPoint>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:CityContact", connectionString);
            builder.UseSetting("Auth:BootstrapAdminKey", ServiceFactory.AdminKey);
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            builder.UseSetting("Simulator:UseSoundFiles", "false");
            builder.UseSetting("Simulator:DefaultMediaLengthMs", "30");
            builder.UseSetting("Ivr:DefaultTimeoutMs", "1500");
            builder.UseSetting("Ivr:DefaultInterDigitTimeoutMs", "1500");
            builder.UseSetting("Voicemail:ReviewTimeoutMs", "1500");
            builder.UseSetting("CallRecorder:RetryMinDelay", "00:00:00.050");
            builder.UseSetting("CallRecorder:RetryMaxDelay", "00:00:00.200");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton(time);
                services.AddSingleton(callbacks);
            });
        }
    }
}
