using CityContact.Service.Features.Queues;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ami;
using CityContact.Telephony.Ari;

namespace CityContact.Service.Features.Agents;

/// <summary>
/// Keeps the dispatcher told which deskphones are registered. The live source is Asterisk's device state, made for
/// exactly this: AMI's <c>DeviceStateChange</c> (<c>PJSIP/101</c> is <c>UNAVAILABLE</c> while the phone has no
/// contact), which Asterisk sends to the AMI session anyway and which costs the Stasis app nothing. The app is never
/// subscribed to <c>endpoint:PJSIP</c>: with that subscription a real Asterisk delivers every event of the app's own
/// channels twice (one digit became two menu choices), and a subscription outlives the WebSocket, so one left by an
/// earlier version is removed at each connection. A snapshot from <c>GET /endpoints/PJSIP</c> is read whenever ARI or
/// AMI (re)connects, since events of the gap are lost; without AMI the snapshot is re-read every
/// <see cref="PollWithoutAmi"/>.
/// </summary>
public sealed partial class AgentPhoneWatch(AsteriskConnection asterisk, QueueDispatcher dispatcher, ILogger<AgentPhoneWatch> logger) : BackgroundService
{
    public static readonly TimeSpan PollWithoutAmi = TimeSpan.FromSeconds(10);

    private const string Technology = "PJSIP";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!asterisk.Started || asterisk.Ari.State != AriConnectionState.Connected)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), stoppingToken);
        }
        asterisk.Ari.Events.Reconnected += ResyncAsync;
        await ResyncAsync(stoppingToken);
        if (asterisk.Ami is { } ami)
        {
            // Changes flow from the AMI login on: a listing read after it misses none of those before.
            ami.SessionStarted += (_, started) =>
            {
                if (started.IsReconnect)
                {
                    _ = Task.Run(() => ResyncAsync(stoppingToken), CancellationToken.None);
                }
            };
            await ami.WaitUntilConnectedAsync(stoppingToken);
            await ResyncAsync(stoppingToken);
            await ReadDeviceStatesAsync(ami, stoppingToken);
            return;
        }
        using var timer = new PeriodicTimer(PollWithoutAmi);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await ResyncAsync(stoppingToken);
        }
    }

    private async Task ReadDeviceStatesAsync(AmiClient ami, CancellationToken ct)
    {
        try
        {
            await foreach (var message in ami.Events.ReadAllAsync(ct))
            {
                if (AmiTypedEvents.From(message) is AmiDeviceStateChangeEvent { Device: var device, State: var state }
                    && device.StartsWith(Technology + "/", StringComparison.OrdinalIgnoreCase))
                {
                    dispatcher.PhoneChanged(device, IsRegistered(state));
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>A PJSIP device is UNAVAILABLE without a reachable contact; INVALID when the endpoint is unknown.</summary>
    public static bool IsRegistered(string deviceState) => deviceState is not ("UNAVAILABLE" or "INVALID" or "UNKNOWN");

    private async Task ResyncAsync(CancellationToken ct)
    {
        try
        {
            await dispatcher.Loaded;
            dispatcher.EndpointResyncStarted();
            var app = await asterisk.Ari.Rest.Applications.GetAsync(asterisk.AppName, ct);
            if (app.EndpointIds.Length > 0)
            {
                await asterisk.Ari.Rest.Applications.UnsubscribeAsync(app.EndpointIds.Select(id => "endpoint:" + id), ct);
                LogSubscriptionRemoved(string.Join(", ", app.EndpointIds));
            }
            foreach (var endpoint in await asterisk.Ari.Rest.Endpoints.ListByTechAsync(Technology, ct))
            {
                var online = string.Equals(endpoint.State, "online", StringComparison.OrdinalIgnoreCase);
                dispatcher.PhoneChanged($"{endpoint.Technology}/{endpoint.Resource}", online, fromListing: true);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is AriException or HttpRequestException or TaskCanceledException)
        {
            LogResyncFailed(e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the deskphones' registrations failed: {Error}")]
    private partial void LogResyncFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed the app's endpoint subscriptions ({Endpoints}): they made Asterisk send every channel event twice")]
    private partial void LogSubscriptionRemoved(string endpoints);
}
