using System.Collections.Frozen;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Schedules;
using Npgsql;

namespace CityContact.Service.Features.Ivr;

/// <summary>The flow version a call runs: its row id (null for the built-in default) and its definition.</summary>
public sealed record RunnableFlow(long? VersionId, string FlowCode, int Version, FlowDefinition Definition);

/// <summary>
/// The live flows per dialed number and the schedules, held in memory so that a call starts without a database round
/// trip (and starts at all while PostgreSQL is away). Refreshed after every publish or rollback here and periodically
/// for changes made elsewhere; until the first load succeeds, calls get the built-in default flow.
/// </summary>
public sealed partial class FlowCatalog(FlowStore flows, ScheduleStore schedules, IOptions<IvrOptions> options, TimeProvider time, ILogger<FlowCatalog> logger)
    : BackgroundService
{
    private volatile Snapshot _snapshot = new(FrozenDictionary<string, RunnableFlow>.Empty, FrozenDictionary<string, Schedule>.Empty, Loaded: false);

    private sealed record Snapshot(FrozenDictionary<string, RunnableFlow> ByNumber, FrozenDictionary<string, Schedule> Schedules, bool Loaded);

    public bool Loaded => _snapshot.Loaded;

    public RunnableFlow ForNumber(string dialedNumber)
    {
        var snapshot = _snapshot;
        return snapshot.ByNumber.TryGetValue(dialedNumber, out var flow) ? flow
            : snapshot.ByNumber.TryGetValue("*", out var fallback) ? fallback
            : new RunnableFlow(null, DefaultFlow.Code, 0, DefaultFlow.Definition);
    }

    public Schedule? Schedule(string code) => _snapshot.Schedules.GetValueOrDefault(code);

    public async Task RefreshAsync(CancellationToken ct)
    {
        var live = await flows.LiveAsync(ct);
        var all = await schedules.AllAsync(ct);
        var byNumber = new Dictionary<string, RunnableFlow>(StringComparer.Ordinal);
        foreach (var flow in live)
        {
            try
            {
                byNumber[flow.Number] = new RunnableFlow(flow.VersionId, flow.FlowCode, flow.Version, FlowDefinition.Parse(flow.Definition));
            }
            catch (System.Text.Json.JsonException e)
            {
                LogUnreadableFlow(e, flow.FlowCode, flow.Version);
            }
        }
        _snapshot = new Snapshot(byNumber.ToFrozenDictionary(StringComparer.Ordinal), all.ToFrozenDictionary(s => s.Code, StringComparer.Ordinal), Loaded: true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Flow {FlowCode} version {Version} cannot be read; its number falls back to the default")]
    private partial void LogUnreadableFlow(Exception e, string flowCode, int version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the live flows failed ({Error}); calls keep the flows already loaded")]
    private partial void LogRefreshFailed(string error);
}
