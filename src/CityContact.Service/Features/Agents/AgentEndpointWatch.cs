using CityContact.Service.Features.Queues;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;

namespace CityContact.Service.Features.Agents;

/// <summary>
/// Keeps the dispatcher told which deskphones are registered: once ARI is connected (and after each reconnect, since
/// Asterisk forgets the subscription with the app) the app subscribes to every PJSIP endpoint's events and reads
/// their current states; EndpointStateChange events then arrive through <see cref="AgentFeatureCodes"/>.
/// </summary>
public sealed partial class AgentEndpointWatch(AsteriskConnection asterisk, QueueDispatcher dispatcher, ILogger<AgentEndpointWatch> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!asterisk.Started || asterisk.Ari.State != AriConnectionState.Connected)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), stoppingToken);
        }
        asterisk.Ari.Events.Reconnected += ResyncAsync;
        await ResyncAsync(stoppingToken);
    }

    private async Task ResyncAsync(CancellationToken ct)
    {
        try
        {
            await dispatcher.Loaded;
            dispatcher.EndpointResyncStarted();
            await asterisk.Ari.Rest.Applications.SubscribeAsync(["endpoint:PJSIP"], ct);
            foreach (var endpoint in await asterisk.Ari.Rest.Endpoints.ListByTechAsync("PJSIP", ct))
            {
                dispatcher.EndpointChanged(endpoint, fromListing: true);
            }
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            LogResyncFailed(e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the deskphones' registrations failed: {Error}")]
    private partial void LogResyncFailed(string error);
}
