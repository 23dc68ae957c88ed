using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Browser.Tests;

/// <summary>
/// The whole service on a real port (Kestrel on 127.0.0.1:0, as a browser needs) with the in-process Asterisk simulator,
/// on a database of its own, with the settings of the service's call tests (30 ms prompts, 1.5 s digit timeouts).
/// </summary>
public sealed class BrowserHost : IAsyncDisposable
{
    public const string CityNumber = "0256969";
    public const string AdminKey = "browser-test-bootstrap-admin-key-0123456789";

    private readonly Factory _factory;
    private readonly TestDatabase _database;

    private BrowserHost(Factory factory, TestDatabase database)
    {
        _factory = factory;
        _database = database;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory.Services;

    public AsteriskSimulator Sim => Services.GetRequiredService<AsteriskConnection>().Simulator!;

    public HttpClient Admin()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    public static async Task<BrowserHost> StartAsync(IReadOnlyDictionary<string, string?> settings, CancellationToken ct)
    {
        var database = await TestDatabase.CreateAsync(ct);
        var factory = new Factory(database.ConnectionString, settings);
        factory.UseKestrel(0);
        factory.StartServer();
        var host = new BrowserHost(factory, database) { BaseAddress = factory.ClientOptions.BaseAddress };
        var catalog = host.Services.GetRequiredService<FlowCatalog>();
        while (!catalog.Loaded || !host.Sim.ConnectedApplications.Contains("citycontact"))
        {
            await Task.Delay(20, ct);
        }
        return host;
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: "
                + await response.Content.ReadAsStringAsync(ct));
        }
        return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _database.DisposeAsync();
    }

    private sealed class Factory(string connectionString, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<CityContact.Service.ServiceEntryPoint>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:CityContact", connectionString);
            builder.UseSetting("Auth:BootstrapAdminKey", AdminKey);
            builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
            builder.UseSetting("Simulator:UseSoundFiles", "false");
            builder.UseSetting("Simulator:DefaultMediaLengthMs", "30");
            builder.UseSetting("Ivr:DefaultTimeoutMs", "1500");
            builder.UseSetting("Ivr:DefaultInterDigitTimeoutMs", "1500");
            builder.UseSetting("Queues:OverflowToVoicemail", "false");
            builder.UseSetting("Queues:NoAgents", "JoinEmpty");
            builder.UseSetting("Queues:AnnounceEverySeconds", "600");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(new ScaledTimeProvider(1, DateTimeOffset.UtcNow)));
        }
    }
}
