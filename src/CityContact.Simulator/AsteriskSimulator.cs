using System.Net;
using CityContact.Simulator.Ami;
using CityContact.Simulator.AriServer;
using CityContact.Simulator.Changes;
using CityContact.Simulator.Core;
using CityContact.Simulator.Scripting;
using CityContact.Telephony.Ari.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityContact.Simulator;

/// <summary>
/// A simulated Asterisk 22 in-process: ARI (HTTP + WebSocket) on Kestrel, AMI over TCP, and the call state machine
/// behind both. Tests drive the SIP side through <see cref="Trunk"/> and <see cref="Phone"/>.
/// </summary>
public sealed class AsteriskSimulator : IAsyncDisposable
{
    private readonly WebApplication _ari;
    private readonly SimulatorCore _core;

    private AsteriskSimulator(WebApplication ari, SimulatorCore core, Uri ariBaseUrl)
    {
        _ari = ari;
        _core = core;
        AriBaseUrl = ariBaseUrl;
        Trunk = new SimulatedTrunk(core);
    }

    public SimulatorOptions Options => _core.Options;

    /// <summary>Base URL of the ARI server, e.g. <c>http://127.0.0.1:41234/</c> (paths are under <c>ari/</c>).</summary>
    public Uri AriBaseUrl { get; }

    /// <summary>Port of the AMI listener; 0 until the AMI server is started.</summary>
    public int AmiPort { get; private set; }

    /// <summary>The SIP trunk that brings citizens' calls.</summary>
    public SimulatedTrunk Trunk { get; }

    /// <summary>The AMI server (for tests: <see cref="AmiServer.DropConnections"/>).</summary>
    public AmiServer? Ami { get; private set; }

    public static async Task<AsteriskSimulator> StartAsync(SimulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var core = new SimulatorCore(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Parse(options.ListenAddress), options.AriPort);
        });
        builder.Services.AddSingleton(core);
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Run(new AriHttpHandler(core).HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var simulator = new AsteriskSimulator(app, core, new Uri(address.TrimEnd('/') + "/"));

        simulator.Ami = new AmiServer(new AmiServerOptions
        {
            ListenAddress = options.ListenAddress,
            Port = options.AmiPort,
            Users = new Dictionary<string, string> { [options.AmiUser] = options.AmiSecret },
            FailedLoginDelay = options.AmiFailedLoginDelay,
            Time = options.Time,
            EventFilter = options.AmiEventFilter is { } filter
                ? new System.Text.RegularExpressions.Regex(filter, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))
                : null,
        }, new SimulatorAmiState(simulator));
        await simulator.Ami.StartAsync(ct).ConfigureAwait(false);
        simulator.AmiPort = simulator.Ami.Port;
        return simulator;
    }

    /// <summary>The deskphone on PJSIP endpoint <paramref name="endpoint"/> (one of <see cref="SimulatorOptions.PhoneEndpoints"/>).</summary>
    public SimulatedPhone Phone(string endpoint) => new(_core, _core.GetPhoneEndpoint(endpoint));

    /// <summary>Closes every ARI WebSocket with 1000 (as Asterisk does on its side); calls stay up and stay in Stasis.</summary>
    public void DropWebSockets() => _core.DropWebSockets();

    /// <summary>
    /// <c>core restart now</c>: every channel is hung up with ChannelHangupRequest cause 4 (soft), the ARI WebSockets drop
    /// without a close frame, AMI sends Shutdown (Restart: True) and closes; the simulator then serves again with no call,
    /// bridge or application, as the restarted Asterisk does.
    /// </summary>
    public void CoreRestartNow() => _core.CoreRestartNow();

    /// <summary>AMI Originate with Application (the AMI server's entry into the core).</summary>
    internal void OriginateApplication(string endpoint, string application, string data, string? callerId, TimeSpan timeout,
        IReadOnlyList<KeyValuePair<string, string>> variables, string correlationId)
        => _core.OriginateApplication(endpoint, application, data, callerId, timeout, variables, correlationId);

    /// <summary>Every live channel, in creation order.</summary>
    public IReadOnlyList<ChannelInfo> Channels => _core.SnapshotChannels();

    /// <summary>Every bridge, as ARI shows it.</summary>
    public IReadOnlyList<Bridge> Bridges => _core.SnapshotBridges();

    /// <summary>Every playback that is queued or playing.</summary>
    public IReadOnlyList<Playback> Playbacks => _core.SnapshotPlaybacks();

    /// <summary>Every recording in progress.</summary>
    public IReadOnlyList<LiveRecording> LiveRecordings => _core.SnapshotLiveRecordings();

    /// <summary>Every ARI REST request the application made, in arrival order.</summary>
    public IReadOnlyList<AriRequestRecord> Requests => _core.SnapshotRequests();

    /// <summary>Names of the applications that currently have a WebSocket.</summary>
    public IReadOnlyList<string> ConnectedApplications => _core.SnapshotConnectedApplications();

    /// <summary>Waits until <paramref name="condition"/> over the simulator holds (re-evaluated after every state change).</summary>
    public Task WaitUntilAsync(Func<AsteriskSimulator, bool> condition, CancellationToken ct = default)
        => _core.WaitUntilAsync(() => condition(this), ct);

    /// <summary>
    /// Subscribes to every state change (for the AMI server). <paramref name="observer"/> is called in order, under the
    /// core's lock: it must only queue the change. Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable SubscribeStateChanges(Action<StateChange> observer) => _core.Subscribe(observer);

    /// <summary>
    /// Subscribes to every ARI event as it is queued to an application's WebSocket, with its <c>type</c> and
    /// <c>timestamp</c> set (for timing the app's reactions against <see cref="Requests"/>, whose timestamps are taken
    /// when a request arrives). Off unless subscribed; <paramref name="observer"/> runs under the core's lock and must
    /// only record the event. Dispose the result to unsubscribe.
    /// </summary>
    public IDisposable SubscribeSentEvents(Action<AriEvent> observer) => _core.SubscribeSentEvents(observer);

    public async ValueTask DisposeAsync()
    {
        if (Ami is not null)
        {
            await Ami.DisposeAsync().ConfigureAwait(false);
        }
        _core.Shutdown();
        await _ari.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _ari.DisposeAsync().ConfigureAwait(false);
        _core.Dispose();
    }
}
