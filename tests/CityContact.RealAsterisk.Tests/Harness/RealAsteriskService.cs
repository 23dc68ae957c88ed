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
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private bool _stopped;
    private bool _databaseHandedOver;

    private RealAsteriskService(Factory factory, DatabaseFixture database, IReadOnlyDictionary<string, string?> settings, ScaledTimeProvider time)
    {
        _factory = factory;
        Database = database;
        _settings = settings;
        Clock = time;
    }

    public DatabaseFixture Database { get; }

    /// <summary>The service's clock; an instance started again on the same database goes on from it.</summary>
    public ScaledTimeProvider Clock { get; }

    /// <summary>The service's ARI client, e.g. to see its event WebSocket go down and come back.</summary>
    public CityContact.Telephony.Ari.AriClient Ari => Services.GetRequiredService<CityContact.Service.Infrastructure.Telephony.AsteriskConnection>().Ari;

    public IServiceProvider Services => _factory.Services;

    public HttpClient Admin()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    /// <param name="settings">Added to (or replacing) the harness's own settings, e.g. <c>Ari:Url</c> through a <see cref="TcpRelay"/>.</param>
    public static async Task<RealAsteriskService> StartAsync(
        AsteriskInstance asterisk, CancellationToken ct, DateTimeOffset? now = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var database = new DatabaseFixture();
        await database.InitializeAsync();
        var all = new Dictionary<string, string?>
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
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return await StartOnAsync(database, all, new ScaledTimeProvider(1, now ?? WednesdayMorning), ct);
    }

    /// <summary>
    /// Stops this instance as a deployment stops the service (the host's graceful stop: calls stay in the Stasis app unless
    /// Ivr:HangUpCallsOnStop), and starts the next one on the same database, settings and clock; the new one owns the database.
    /// </summary>
    public async Task<RealAsteriskService> RestartAsync(CancellationToken ct)
    {
        await StopAsync();
        _databaseHandedOver = true;
        return await StartOnAsync(Database, _settings, Clock, ct);
    }

    /// <summary>Stops the service (see <see cref="RestartAsync"/>); its database stays until dispose.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _factory.DisposeAsync();
        }
    }

    private static async Task<RealAsteriskService> StartOnAsync(
        DatabaseFixture database, IReadOnlyDictionary<string, string?> settings, ScaledTimeProvider time, CancellationToken ct)
    {
        var factory = new Factory(settings, time);
        var service = new RealAsteriskService(factory, database, settings, time);
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

    /// <summary>The timeline so far of the one call from <paramref name="callerNumber"/>, ended or not (empty before it starts).</summary>
    public async Task<IReadOnlyList<CallEvent>> TimelineSoFarAsync(string callerNumber, CancellationToken ct)
    {
        await Services.GetRequiredService<CallRecorder>().WaitUntilStoredAsync(ct);
        await using var connection = await Database.DataSource.OpenConnectionAsync(ct);
        var ids = (await connection.QueryAsync<long>(new CommandDefinition(
            "SELECT id FROM calls WHERE caller = @callerNumber", new { callerNumber }, cancellationToken: ct))).ToList();
        return ids switch
        {
            [] => [],
            [var id] => await Services.GetRequiredService<CallStore>().TimelineAsync(id, ct),
            _ => throw new InvalidOperationException($"{ids.Count} calls from {callerNumber}, expected one"),
        };
    }

    /// <summary>Waits until the call from <paramref name="callerNumber"/> has a step that matches; returns it.</summary>
    public async Task<CallEvent> WaitForStepAsync(string callerNumber, Func<CallEvent, bool> match, CancellationToken ct)
    {
        while (true)
        {
            if ((await TimelineSoFarAsync(callerNumber, ct)).FirstOrDefault(match) is { } step)
            {
                return step;
            }
            await Task.Delay(50, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (!_databaseHandedOver)
        {
            await Database.DisposeAsync();
        }
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
