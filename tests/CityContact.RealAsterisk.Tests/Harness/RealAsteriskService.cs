using System.Net;
using CityContact.Service;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Queues;
using CityContact.Service.Tests.Infrastructure;
using CityContact.Simulator.Clock;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>
/// The whole service in-process on a database of its own, connected over ARI and AMI to a real <see cref="AsteriskInstance"/>,
/// with a clock that starts at a chosen instant (a Wednesday at 10:00 in Bucharest unless told otherwise) and runs at
/// real speed, so that business hours are decided by the test while Asterisk's media keeps real time.
/// </summary>
public sealed class RealAsteriskService : IAsyncDisposable
{
    public const string AdminKey = "real-asterisk-admin-key-0123456789";
    public static readonly DateTimeOffset WednesdayMorning = new(2025, 3, 12, 8, 0, 0, TimeSpan.Zero);

    private readonly Factory _factory;

    private RealAsteriskService(Factory factory, DatabaseFixture database)
    {
        _factory = factory;
        Database = database;
    }

    public DatabaseFixture Database { get; }

    public IServiceProvider Services => _factory.Services;

    public HttpClient Admin()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    /// <param name="overrides">Settings a test changes (e.g. <c>Queues:RingTimeoutSeconds</c>), on top of the connection settings.</param>
    public static async Task<RealAsteriskService> StartAsync(
        AsteriskInstance asterisk, CancellationToken ct, DateTimeOffset? now = null, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var database = new DatabaseFixture();
        await database.InitializeAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:CityContact"] = database.ConnectionString,
            ["Auth:BootstrapAdminKey"] = AdminKey,
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["Ari:Url"] = $"http://127.0.0.1:{asterisk.Layout.HttpPort}/ari",
            ["Ari:User"] = AsteriskInstance.AriUser,
            ["Ari:Password"] = asterisk.AriPassword,
            ["Ami:Host"] = "127.0.0.1",
            ["Ami:Port"] = asterisk.Layout.AmiPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ami:User"] = AsteriskInstance.AmiUser,
            ["Ami:Secret"] = asterisk.AmiSecret,
            ["Prompts:SoundsDirectory"] = asterisk.SoundsDirectory,
            ["Voicemail:RecordingsDirectory"] = Path.Combine(asterisk.Layout.SpoolDirectory, "recording"),
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var factory = new Factory(settings, new ScaledTimeProvider(1, now ?? WednesdayMorning));
        var service = new RealAsteriskService(factory, database);
        try
        {
            await service.WaitReadyAsync(ct);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
        return service;
    }

    /// <summary>Waits until the call from <paramref name="callerNumber"/> has ended and every record of it is stored.</summary>
    public async Task<(Call Call, IReadOnlyList<CallEvent> Timeline)> EndedCallAsync(string callerNumber, CancellationToken ct)
    {
        var calls = Services.GetRequiredService<CallStore>();
        while (true)
        {
            await Services.GetRequiredService<CallRecorder>().WaitUntilStoredAsync(ct);
            // The queue's columns (agent, wait, talk) are written behind the row, by a log of their own.
            await Services.GetRequiredService<QueueCallLog>().WaitUntilStoredAsync(ct);
            await using var connection = await Database.DataSource.OpenConnectionAsync(ct);
            var ids = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT id FROM calls WHERE caller = @callerNumber AND ended_at IS NOT NULL", new { callerNumber }, cancellationToken: ct))).ToList();
            if (ids is [var id])
            {
                return ((await calls.GetAsync(id, ct))!, await calls.TimelineAsync(id, ct));
            }
            if (ids.Count > 1)
            {
                throw new InvalidOperationException($"{ids.Count} calls from {callerNumber}, expected one");
            }
            await Task.Delay(50, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>Ready: the flows are loaded and /health/ready says ARI's WebSocket and AMI's session are up.</summary>
    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var client = _factory.CreateClient();
        var catalog = Services.GetRequiredService<FlowCatalog>();
        string last = "";
        try
        {
            while (true)
            {
                using var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative), timeout.Token);
                last = await response.Content.ReadAsStringAsync(timeout.Token);
                if (response.StatusCode == HttpStatusCode.OK && catalog.Loaded)
                {
                    return;
                }
                await Task.Delay(100, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"the service was not ready within 30 s: {last}");
        }
    }

    private sealed class Factory(IReadOnlyDictionary<string, string?> settings, TimeProvider time) : WebApplicationFactory<ServiceEntryPoint>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureTestServices(services => services.AddSingleton(time));
        }
    }
}
