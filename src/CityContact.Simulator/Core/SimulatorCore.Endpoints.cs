using System.Text.RegularExpressions;
using CityContact.Simulator.AriServer;
using CityContact.Simulator.Scripting;
using CityContact.Telephony.Ari.Models;
using Endpoint = CityContact.Telephony.Ari.Models.Endpoint;
using Changes = CityContact.Simulator.Changes;

namespace CityContact.Simulator.Core;

internal sealed partial class SimulatorCore
{
    public SimEndpoint GetPhoneEndpoint(string name) => Read(() =>
        _endpoints.TryGetValue(name, out var endpoint) && endpoint.IsPhone
            ? endpoint
            : throw new ArgumentException($"'{name}' is not one of SimulatorOptions.PhoneEndpoints", nameof(name)));

    private SimEndpoint? FindEndpoint(string technologyAndResource)
    {
        var slash = technologyAndResource.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return null;
        }
        var technology = technologyAndResource[..slash];
        var resource = technologyAndResource[(slash + 1)..];
        return _endpoints.TryGetValue(resource, out var endpoint) && endpoint.Technology == technology ? endpoint : null;
    }

    private Endpoint ToAri(SimEndpoint e) => new()
    {
        Technology = e.Technology,
        Resource = e.Resource,
        State = e.IsRegistered ? "online" : "offline",
        ChannelIds = _channels.Values.Where(c => c.Endpoint == e).Select(c => c.Id).ToArray(),
    };

    /// <summary>
    /// A channel of <paramref name="endpoint"/> was created or destroyed: its <c>channel_ids</c> changed, and Asterisk tells
    /// the endpoint's subscribers with an EndpointStateChange (before ChannelCreated, after ChannelDestroyed).
    /// </summary>
    private void SendEndpointChannelsChanged(SimEndpoint endpoint)
    {
        var ev = new EndpointStateChange { Endpoint = ToAri(endpoint) };
        foreach (var app in _apps.Values.Where(a => SubscribesTo(a, endpoint)).ToArray())
        {
            Send(app.Name, ev);
        }
    }

    private static string DeviceState(SimEndpoint e) => !e.IsRegistered ? "UNAVAILABLE"
        : e.CurrentChannel is null ? "NOT_INUSE"
        : e.CurrentChannel.State == "Up" ? "INUSE"
        : "RINGING";

    private void PublishDeviceState(SimEndpoint endpoint)
    {
        var state = DeviceState(endpoint);
        PublishAndSendToSubscribers(
            new Changes.DeviceStateChanged(Now, endpoint.DeviceName, state),
            app => app.DeviceSubscriptions.Contains(endpoint.DeviceName),
            new DeviceStateChanged { DeviceState = new DeviceState { Name = endpoint.DeviceName, State = state } });
    }

    public void Register(SimEndpoint endpoint) => Mutate(() => SetRegistration(endpoint, true));

    public void Unregister(SimEndpoint endpoint) => Mutate(() => SetRegistration(endpoint, false));

    private void SetRegistration(SimEndpoint endpoint, bool registered)
    {
        if (endpoint.IsRegistered == registered)
        {
            return;
        }
        endpoint.IsRegistered = registered;
        endpoint.ContactUri = $"sip:{endpoint.Resource}@127.0.0.1:5081";
        bool Subscribed(StasisApp app) => SubscribesTo(app, endpoint);
        var ari = ToAri(endpoint);
        PublishAndSendToSubscribers(new Changes.EndpointStateChanged(Now, endpoint.Technology, endpoint.Resource, ari.State!), Subscribed,
            new EndpointStateChange { Endpoint = ari });
        foreach (var app in _apps.Values.Where(Subscribed).ToArray())
        {
            Send(app.Name, new PeerStatusChange { Endpoint = ari, Peer = new Peer { PeerStatus = registered ? "Reachable" : "Unreachable" } });
        }
        var status = registered ? "NonQualified" : "Removed";
        PublishAndSendToSubscribers(new Changes.ContactStatusChanged(Now, endpoint.Resource, endpoint.ContactUri, status, "0"), Subscribed,
            new ContactStatusChange
            {
                Endpoint = ari,
                ContactInfo = new ContactInfo { Uri = endpoint.ContactUri, ContactStatus = status, Aor = endpoint.Resource, RoundtripUsec = "0" },
            });
        PublishDeviceState(endpoint);
    }

    public void SetAnswerBehaviour(SimEndpoint endpoint, PhoneAnswerBehaviour behaviour, TimeSpan delay) => Mutate(() =>
    {
        endpoint.Behaviour = behaviour;
        endpoint.AnswerDelay = delay;
    });

    public void PhoneHangup(SimEndpoint endpoint) => Mutate(() =>
    {
        if (endpoint.CurrentChannel is { } channel)
        {
            if (channel.State == "Up")
            {
                Hangup(channel, byApp: false);
            }
            else
            {
                // Declining a ringing call: the originate ends as busy.
                DestroyChannel(channel, 17, "User busy", sendToApp: true, techCause: 486);
            }
        }
    });

    public AriResponse ListEndpoints(string? technology) => Read(() =>
    {
        var endpoints = _endpoints.Values.Where(e => technology is null || e.Technology == technology).ToArray();
        return technology is not null && endpoints.Length == 0
            ? AriResponse.NotFound("No endpoints found")
            : AriResponse.Ok(endpoints.Select(ToAri).ToArray());
    });

    public AriResponse GetEndpoint(string technology, string resource) => Read(() =>
        FindEndpoint($"{technology}/{resource}") is { } e ? AriResponse.Ok(ToAri(e)) : AriResponse.NotFound("Endpoint not found"));

    /// <summary>Device states the app set itself (Stasis: devices) are not simulated; PJSIP devices are read from the endpoints.</summary>
    public AriResponse GetDeviceState(string name) => Read(() =>
    {
        var endpoint = FindEndpoint(name);
        return AriResponse.Ok(new DeviceState { Name = name, State = endpoint is null ? "UNKNOWN" : DeviceState(endpoint) });
    });

    // ---- Originate, create, dial ----

    private static readonly Regex CallerIdPattern = new("^\\s*\"?(?<name>[^\"<]*)\"?\\s*<(?<num>[^>]*)>\\s*$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>"Name" &lt;number&gt;, or a bare number (ast_callerid_parse).</summary>
    internal static (string Name, string Number) ParseCallerId(string? callerId)
    {
        if (string.IsNullOrWhiteSpace(callerId))
        {
            return ("", "");
        }
        var match = CallerIdPattern.Match(callerId);
        return match.Success ? (match.Groups["name"].Value.Trim(), match.Groups["num"].Value) : ("", callerId);
    }

    private string PhoneCallerName(SimEndpoint endpoint)
        => Options.PhoneCallerNames.TryGetValue(endpoint.Resource, out var name) ? name : endpoint.Resource;

    /// <summary>POST /channels: 200 with the channel Down, then it rings the phone; on answer it enters Stasis.</summary>
    public AriResponse Originate(IReadOnlyDictionary<string, string> p, string? channelId) => Mutate(() =>
    {
        var endpointName = p.GetValueOrDefault("endpoint");
        if (string.IsNullOrEmpty(endpointName))
        {
            return AriResponse.BadRequest("Endpoint must be specified");
        }
        var app = p.GetValueOrDefault("app");
        if (string.IsNullOrEmpty(app) && string.IsNullOrEmpty(p.GetValueOrDefault("extension")))
        {
            return AriResponse.BadRequest("Application or extension must be specified");
        }
        if (channelId is not null && _channels.ContainsKey(channelId))
        {
            return AriResponse.Conflict("Channel with given unique ID already exists");
        }
        if (FindEndpoint(endpointName) is not { IsPhone: true, IsRegistered: true } endpoint)
        {
            return AllocationFailed();
        }
        var channel = NewChannel(ChannelOrigin.Originated, endpoint, null, c =>
        {
            c.CallerName = PhoneCallerName(endpoint);
            c.CallerNumber = endpoint.Resource;
            c.Context = Options.OriginateContext;
            c.Exten = "s";
        }, channelId);
        // ast_set_callerid and the connected line after allocation: the callerId parameter replaces the endpoint's.
        var (name, number) = ParseCallerId(p.GetValueOrDefault("callerId"));
        if (name.Length > 0 || number.Length > 0)
        {
            (channel.CallerName, channel.CallerNumber) = (name, number);
            (channel.ConnectedName, channel.ConnectedNumber) = (name, number);
        }
        channel.AppName = "AppDial2";
        channel.AppData = "(Outgoing Line)";
        channel.SubscribedApp = app;
        channel.PendingStasisApp = app;
        channel.PendingStasisArgs = string.IsNullOrEmpty(p.GetValueOrDefault("appArgs")) ? [] : p["appArgs"].Split(',');
        channel.OriginateCorrelationId = p.GetValueOrDefault("otherChannelId") ?? channelId;
        var timeout = int.TryParse(p.GetValueOrDefault("timeout"), out var seconds) ? seconds : 30;
        var response = AriResponse.Ok(ToAri(channel));
        StartRinging(channel, endpoint, endpoint.Resource, TimeSpan.FromSeconds(timeout), secondDialString: endpoint.Resource);
        return response;
    });

    private static AriResponse AllocationFailed()
        => new(500, "Internal Server Error", "{\"error\":\"Allocation failed\"}");

    /// <summary>POST /channels/create: the channel enters Stasis at once in state Down; /dial rings it.</summary>
    public AriResponse Create(IReadOnlyDictionary<string, string> p) => Mutate(() =>
    {
        var endpointName = p.GetValueOrDefault("endpoint");
        var app = p.GetValueOrDefault("app");
        if (string.IsNullOrEmpty(endpointName))
        {
            return AriResponse.BadRequest("Endpoint must be specified");
        }
        if (string.IsNullOrEmpty(app))
        {
            return AriResponse.BadRequest("Application must be specified");
        }
        var channelId = p.GetValueOrDefault("channelId");
        if (channelId is not null && _channels.ContainsKey(channelId))
        {
            return AriResponse.Conflict("Channel with given unique ID already exists");
        }
        if (FindEndpoint(endpointName) is not { IsPhone: true, IsRegistered: true } endpoint)
        {
            return AllocationFailed();
        }
        var channel = NewChannel(ChannelOrigin.Created, endpoint, null, c =>
        {
            c.CallerName = PhoneCallerName(endpoint);
            c.CallerNumber = endpoint.Resource;
            c.Context = Options.OriginateContext;
            c.Exten = "s";
        }, channelId);
        channel.SubscribedApp = app;
        var args = string.IsNullOrEmpty(p.GetValueOrDefault("appArgs")) ? Array.Empty<string>() : p["appArgs"].Split(',');
        var response = AriResponse.Ok(ToAri(channel));
        channel.AppName = "Stasis";
        channel.AppData = string.Join(',', [app, .. args]);
        Publish(new Changes.ChannelDialplanStep(Now, ToInfo(channel)));
        SendChannelEvent(channel, new ChannelDialplan { Channel = ToAri(channel), DialplanApp = channel.AppName, DialplanAppData = channel.AppData });
        SetVariable(channel, "STASISSTATUS", "");
        EnterStasis(channel, app, args);
        return response;
    });

    public AriResponse Dial(string id, string? timeoutText) => WithStasisChannel(id, channel =>
    {
        if (channel.Origin != ChannelOrigin.Created || channel.Endpoint is null || channel.Dialing)
        {
            return AriResponse.Conflict("Channel is not in a state to be dialed");
        }
        var timeout = int.TryParse(timeoutText, out var seconds) && seconds > 0 ? seconds : 30;
        StartRinging(channel, channel.Endpoint, channel.Endpoint.Resource, TimeSpan.FromSeconds(timeout), secondDialString: "");
        return AriResponse.NoContent;
    });

    private void StartRinging(SimChannel channel, SimEndpoint endpoint, string dialString, TimeSpan timeout, string secondDialString)
    {
        channel.Dialing = true;
        channel.DialString = dialString;
        endpoint.CurrentChannel = channel;
        Publish(new Changes.DialBegan(Now, null, ToInfo(channel), dialString));
        SendChannelEvent(channel, new Dial { Peer = ToAri(channel), Dialstatus = "", Forward = "", Dialstring = dialString });
        SetState(channel, "Ringing", publishDeviceState: false);
        Publish(new Changes.DialStatusChanged(Now, null, ToInfo(channel), "RINGING"));
        SendChannelEvent(channel, new Dial { Peer = ToAri(channel), Dialstatus = "RINGING", Forward = "", Dialstring = secondDialString });
        PublishDeviceState(endpoint);
        channel.RingTimer = Schedule(timeout, () => RingTimeout(channel));
        switch (endpoint.Behaviour)
        {
            case PhoneAnswerBehaviour.AnswerAfter:
                channel.AnswerTimer = Schedule(endpoint.AnswerDelay, () => PhoneAnswers(channel, secondDialString));
                break;
            case PhoneAnswerBehaviour.Busy:
                channel.AnswerTimer = Schedule(TimeSpan.FromMilliseconds(5), () =>
                {
                    channel.Dialing = false;
                    Publish(new Changes.OriginateCompleted(Now, channel.OriginateCorrelationId, ToInfo(channel), false, 1));
                    DestroyChannel(channel, 17, "User busy", sendToApp: true, techCause: 486);
                });
                break;
            case PhoneAnswerBehaviour.Ring:
                break;
        }
    }

    /// <summary>No answer within the timeout: only ChannelDestroyed cause 19 (no Dial NOANSWER, no ChannelHangupRequest).</summary>
    private void RingTimeout(SimChannel channel)
    {
        if (channel.IsHungUp || channel.State == "Up")
        {
            return;
        }
        channel.Dialing = false;
        Publish(new Changes.OriginateCompleted(Now, channel.OriginateCorrelationId, ToInfo(channel), false, 3));
        DestroyChannel(channel, 19, "User alerting, no answer", sendToApp: true, techCause: 480);
    }

    private void PhoneAnswers(SimChannel channel, string dialString)
    {
        if (channel.IsHungUp || channel.State == "Up")
        {
            return;
        }
        Cancel(channel.RingTimer);
        channel.Dialing = false;
        SetState(channel, "Up", publishDeviceState: false);
        Publish(new Changes.OriginateCompleted(Now, channel.OriginateCorrelationId, ToInfo(channel), true, 4));
        Publish(new Changes.DialStatusChanged(Now, null, ToInfo(channel), "ANSWER"));
        SendChannelEvent(channel, new Dial { Peer = ToAri(channel), Dialstatus = "ANSWER", Forward = "", Dialstring = dialString });
        if (channel.Endpoint is { IsPhone: true } endpoint)
        {
            PublishDeviceState(endpoint);
        }
        if (channel.NativeApplication is { } native)
        {
            RunNativeApplication(channel, native.Name, native.Data);
        }
        if (channel.Origin == ChannelOrigin.Originated && channel.PendingStasisApp is { } app)
        {
            channel.AppName = "Stasis";
            channel.AppData = string.Join(',', [app, .. channel.PendingStasisArgs]);
            SetVariable(channel, "STASISSTATUS", "");
            EnterStasis(channel, app, channel.PendingStasisArgs);
        }
    }
}
