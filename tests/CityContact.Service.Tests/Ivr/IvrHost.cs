using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Ivr;

/// <summary>
/// The whole service on its own database with the in-process simulator: 30 ms prompts, 1.5 s digit timeouts (room for a loaded CI machine), and a
/// clock that starts on a chosen instant (a Wednesday at 10:00 in Bucharest unless told otherwise).
/// </summary>
public sealed class IvrHost : IAsyncDisposable
{
    public static readonly DateTimeOffset WednesdayMorning = new(2025, 3, 12, 8, 0, 0, TimeSpan.Zero);

    private readonly Factory _factory;
    private readonly DatabaseFixture _database;
    private readonly bool _ownsDatabase;
    private readonly AsteriskSimulator? _externalSimulator;

    private IvrHost(Factory factory, DatabaseFixture database, bool ownsDatabase, AsteriskSimulator? externalSimulator)
    {
        _factory = factory;
        _database = database;
        _ownsDatabase = ownsDatabase;
        _externalSimulator = externalSimulator;
    }

    public DatabaseFixture Database => _database;

    public IServiceProvider Services => _factory.Services;

    public AsteriskSimulator Sim => _externalSimulator ?? Services.GetRequiredService<AsteriskConnection>().Simulator!;

    public IvrApp App => Services.GetRequiredService<IvrApp>();

    public CallRecorder Recorder => Services.GetRequiredService<CallRecorder>();

    public CallStore Calls => Services.GetRequiredService<CallStore>();

    public TimeProvider Time => Services.GetRequiredService<TimeProvider>();

    public HttpClient Client() => _factory.CreateClient();

    public HttpClient Admin()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ServiceFactory.AdminKey);
        return client;
    }

    /// <summary>
    /// A host on a database of its own (channel ids restart with every simulator, so hosts never share call rows), or on
    /// <paramref name="sharedDatabase"/> and the <paramref name="externalSimulator"/> of a test that runs two instances;
    /// such instances share <paramref name="sharedTime"/> (times one instance stores are read back by the next).
    /// </summary>
    public static async Task<IvrHost> StartAsync(DateTimeOffset? now = null, IReadOnlyDictionary<string, string?>? settings = null,
        AsteriskSimulator? externalSimulator = null, DatabaseFixture? sharedDatabase = null, Action<IServiceCollection>? testServices = null,
        TimeProvider? sharedTime = null)
    {
        var database = sharedDatabase ?? new DatabaseFixture();
        if (sharedDatabase is null)
        {
            await database.InitializeAsync();
        }
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        if (externalSimulator is not null)
        {
            all["Ari:Url"] = new Uri(externalSimulator.AriBaseUrl, "ari").ToString();
            all["Ari:User"] = externalSimulator.Options.AriUser;
            all["Ari:Password"] = externalSimulator.Options.AriPassword;
            // As a real installation: the deskphones' registrations come from AMI's device states.
            all["Ami:Host"] = "127.0.0.1";
            all["Ami:Port"] = externalSimulator.AmiPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            all["Ami:User"] = externalSimulator.Options.AmiUser;
            all["Ami:Secret"] = externalSimulator.Options.AmiSecret;
        }
        var factory = new Factory(database.ConnectionString, sharedTime ?? new ScaledTimeProvider(1, now ?? WednesdayMorning), all, testServices);
        var host = new IvrHost(factory, database, sharedDatabase is null, externalSimulator);
        _ = factory.Server;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var catalog = host.Services.GetRequiredService<FlowCatalog>();
        while (!catalog.Loaded || !host.Sim.ConnectedApplications.Contains("citycontact"))
        {
            await Task.Delay(20, timeout.Token);
        }
        return host;
    }

    /// <summary>Waits until the call's row is closed and every record is stored; returns it with its timeline.</summary>
    public async Task<(Call Call, IReadOnlyList<CallEvent> Timeline)> EndedCallAsync(string channelId, CancellationToken ct)
    {
        await Sim.WaitUntilAsync(s => s.Channels.All(c => c.UniqueId != channelId), ct);
        while (App.Calls.Any(c => c.ChannelId == channelId))
        {
            await Task.Delay(10, ct);
        }
        await Recorder.WaitUntilStoredAsync(ct);
        var page = await Calls.ListAsync(new CallFilter(null, null, null, null, null), new CityContact.Service.Infrastructure.Http.PageRequest(500, 0), ct);
        var call = page.Items.Single(c => c.ChannelId == channelId);
        return (call, await Calls.TimelineAsync(call.Id, ct));
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        if (_ownsDatabase)
        {
            await _database.DisposeAsync();
        }
    }

    private sealed class Factory(
        string connectionString, TimeProvider time, IReadOnlyDictionary<string, string?>? settings, Action<IServiceCollection>? testServices)
        : WebApplicationFactory<ServiceEntryPoint>
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
            builder.UseSetting("CallRecorder:RetryMinDelay", "00:00:00.050");
            builder.UseSetting("CallRecorder:RetryMaxDelay", "00:00:00.200");
            // The IVR and queue tests follow a call to the queue's message; the voicemail overflow has its own test.
            builder.UseSetting("Queues:OverflowToVoicemail", "false");
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton(time);
                testServices?.Invoke(services);
            });
        }
    }
}
