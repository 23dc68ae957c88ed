using CityContact.Telephony.Ari.Models;
using Microsoft.Extensions.Logging;

namespace CityContact.Telephony.Ari;

/// <summary>
/// What the service injects to talk to Asterisk: <see cref="Rest"/> for commands, <see cref="Events"/>
/// for the connection state and the reconnect signal, and <see cref="RunAsync"/> to receive events in
/// order per call until the service stops.
/// </summary>
public sealed class AriClient
{
    private readonly AriOptions _options;
    private readonly ILoggerFactory _loggers;

    public AriClient(HttpClient http, AriOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        options.Validate();
        _options = options;
        _loggers = loggers;
        Rest = new AriRestClient(http, options);
        Parser = new AriEventParser(loggers.CreateLogger<AriEventParser>());
        Events = new AriEventStream(options, Parser, loggers.CreateLogger<AriEventStream>());
    }

    public AriRestClient Rest { get; }

    public AriEventStream Events { get; }

    public AriEventParser Parser { get; }

    public AriConnectionState State => Events.State;

    /// <summary>
    /// Keeps the event WebSocket up and hands each event to <paramref name="handler"/>: in order per
    /// channel (or bridge), concurrently across calls. Returns when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task RunAsync(AriEventDispatcher.Handler handler, CancellationToken cancellationToken)
    {
        await using var dispatcher = new AriEventDispatcher(handler, _loggers.CreateLogger<AriEventDispatcher>(), _options.EventLaneCapacity);
        await Events.RunAsync(dispatcher.DispatchAsync, cancellationToken);
    }

    /// <summary>The channels in our Stasis app right now, e.g. to re-adopt calls after <see cref="AriEventStream.Reconnected"/>.</summary>
    public Task<IReadOnlyList<Channel>> ListOurChannelsAsync(CancellationToken cancellationToken) =>
        Rest.Channels.ListInAppAsync(cancellationToken);
}
