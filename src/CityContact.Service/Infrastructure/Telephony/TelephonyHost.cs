using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Telephony.Ami;
using CityContact.Telephony.Ari;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace CityContact.Service.Infrastructure.Telephony;

/// <summary>
/// Runs the ARI client (events → ordered dispatcher → the IVR's Stasis app; re-adoption after each reconnect and once at
/// start) and the AMI client for the life of the service, and exports their connection states.
/// </summary>
public sealed partial class TelephonyHost(AsteriskConnection asterisk, IvrApp ivr, CallStore calls, TimeProvider time, ILogger<TelephonyHost> logger)
    : BackgroundService
{
    private static readonly Gauge AriConnected = Metrics.CreateGauge("citycontact_ari_connected", "1 while the ARI event WebSocket is connected.");
    private static readonly Gauge AmiConnected = Metrics.CreateGauge("citycontact_ami_connected", "1 while the AMI session is logged in.");

    // Cancels the start-up re-adoption at shutdown (it runs outside ExecuteAsync so that start can wait for it).
    private readonly CancellationTokenSource _stopping = new();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await asterisk.StartAsync(cancellationToken);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnState(object? sender, AriConnectionState state)
        {
            if (state == AriConnectionState.Connected)
            {
                connected.TrySetResult();
            }
        }
        asterisk.Ari.Events.StateChanged += OnState;
        await base.StartAsync(cancellationToken);
        // The in-process simulator is up already: report ready only once its socket is, so a fresh `make run` or test
        // host never sees a transient "not ready". A real Asterisk may be away; the service starts regardless.
        if (asterisk.Simulator is not null)
        {
            await connected.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        asterisk.Ari.Events.StateChanged -= OnState;
        // Calls left in the app by a previous run of the service get no new StasisStart: look for them once connected.
        // With the in-process simulator that is now, and start waits for it: nothing the service does next (or a test
        // writes) can race the closing of rows left open.
        var readopt = Task.Run(() => ReadoptAtStartAsync(_stopping.Token), CancellationToken.None);
        if (asterisk.Simulator is not null)
        {
            try
            {
                await readopt.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            }
            catch (TimeoutException)
            {
                // Still running (a slow database): the service starts anyway, the re-adoption finishes behind it.
                LogReadoptSlow();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ari = asterisk.Ari;
        ari.Events.StateChanged += (_, state) => AriConnected.Set(state == AriConnectionState.Connected ? 1 : 0);
        // The filter first and inline (one request): the events of the new socket are then already the filtered ones.
        ari.Events.Reconnected += FilterEventsAsync;
        // In the background, as at start: the stream awaits its Reconnected handlers before it reads on, so a re-adoption
        // run inline would hold back the StasisStart of a call arriving meanwhile (after an Asterisk restart, the first
        // callers), and its grace for such calls would pass before the event could be read: they would be adopted and sent
        // to the fallback instead of running the flow.
        ari.Events.Reconnected += ct =>
        {
            _ = Task.Run(() => ReadoptAfterReconnectAsync(ct), CancellationToken.None);
            return Task.CompletedTask;
        };
        if (asterisk.Ami is { } ami)
        {
            await ami.StartAsync(stoppingToken);
            _ = Task.Run(() => WatchAmiAsync(ami, stoppingToken), CancellationToken.None);
        }
        await ari.RunAsync(ivr.HandleAsync, stoppingToken);
    }

    private async Task ReadoptAfterReconnectAsync(CancellationToken ct)
    {
        try
        {
            await ivr.ReadoptAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            LogReadoptFailed(e.Message);
        }
    }

    private async Task ReadoptAtStartAsync(CancellationToken ct)
    {
        try
        {
            while (asterisk.Ari.State != AriConnectionState.Connected)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
            }
            await FilterEventsAsync(ct);
            await ivr.ReadoptAsync(ct);
            await CloseVanishedCallsAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            LogReadoptFailed(e.Message);
        }
    }

    private async Task FilterEventsAsync(CancellationToken ct)
    {
        try
        {
            await StasisEventFilter.ApplyAsync(asterisk.Ari, ct);
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            // Unfiltered events cost Asterisk and the service more but change nothing a call does.
            LogFilterFailed(e.Message);
        }
    }

    /// <summary>
    /// Rows still open from a previous run whose channel Asterisk no longer has: the caller hung up while no instance
    /// was running. Every call gets an outcome. Only rows started before the listing are considered, so a call
    /// arriving meanwhile is never closed; another instance's live calls are in the listing and stay open.
    /// </summary>
    private async Task CloseVanishedCallsAsync(CancellationToken ct)
    {
        var listedAt = time.GetUtcNow();
        var live = await asterisk.Ari.Rest.Channels.ListAsync(ct);
        try
        {
            var closed = await calls.CloseVanishedAsync([.. live.Select(c => c.Id)], listedAt, ct);
            if (closed > 0)
            {
                LogVanishedClosed(closed);
            }
        }
        catch (Npgsql.NpgsqlException e)
        {
            LogVanishedFailed(e.Message);
        }
    }

    private static async Task WatchAmiAsync(AmiClient ami, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                AmiConnected.Set(ami.State == AmiConnectionState.Connected ? 1 : 0);
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        // Stopping the event loop cancels every call handler, which then releases its playback, bridges and channel
        // over ARI and hands its last records to the recorder. Wait for that here: the container disposes the ARI
        // client (and the in-process simulator) right after the hosted services stop, and a handler still cleaning up
        // then failed with ObjectDisposedException; the recorder, stopping after this host, must see the last records.
        try
        {
            await ivr.WhenAllEndedAsync().WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogHandlersStillRunning(ivr.ActiveCalls);
        }
        if (asterisk.Ami is { } ami)
        {
            await ami.StopAsync(cancellationToken);
        }
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout: {Count} call handlers were still ending")]
    private partial void LogHandlersStillRunning(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-adoption at start is taking more than 10 s; starting without waiting for it")]
    private partial void LogReadoptSlow();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} calls ended while no instance was running: their rows are closed")]
    private partial void LogVanishedClosed(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the rows of calls that ended while the service was down failed: {Error}")]
    private partial void LogVanishedFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Setting the ARI event filter failed (every event type is sent meanwhile): {Error}")]
    private partial void LogFilterFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for calls left in the Stasis app failed: {Error}")]
    private partial void LogReadoptFailed(string error);
}

/// <summary>/health/ready: ARI is ready while its event WebSocket is connected.</summary>
public sealed class AriHealthCheck(AsteriskConnection asterisk) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!asterisk.Started ? HealthCheckResult.Unhealthy("not started")
            : asterisk.Ari.State == AriConnectionState.Connected ? HealthCheckResult.Healthy("event WebSocket connected")
            : HealthCheckResult.Unhealthy($"event WebSocket {asterisk.Ari.State}"));
}

/// <summary>/health/ready: AMI is ready while logged in (or not configured at all).</summary>
public sealed class AmiHealthCheck(AsteriskConnection asterisk) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(!asterisk.Started ? HealthCheckResult.Unhealthy("not started")
            : asterisk.Ami is not { } ami ? HealthCheckResult.Healthy("not configured (Ami:Host empty)")
            : ami.State == AmiConnectionState.Connected ? HealthCheckResult.Healthy("logged in")
            : HealthCheckResult.Unhealthy($"session {ami.State}"));
}
