using System.Globalization;
using CityContact.Simulator.AriServer;
using CityContact.Telephony.Ari.Models;
using Changes = CityContact.Simulator.Changes;

namespace CityContact.Simulator.Core;

internal sealed partial class SimulatorCore
{
    private static readonly (string Name, string Value)[] RtpQosVariables =
    [
        ("RTPAUDIOQOS", "ssrc=1459927083;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000"),
        ("RTPAUDIOQOSJITTER", "minrxjitter=000.000000;maxrxjitter=000.000000;avgrxjitter=000.000000;stdevrxjitter=000.000000;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;"),
        ("RTPAUDIOQOSLOSS", "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;"),
        ("RTPAUDIOQOSRTT", "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     stdevrtt=000.000000;"),
        ("RTPAUDIOQOSMES", "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   stdevtxmes=000.000000;"),
    ];

    /// <summary>A new PJSIP channel; <paramref name="init"/> sets what the channel driver knows at allocation (state, caller id, dialplan location) before Newchannel.</summary>
    private SimChannel NewChannel(ChannelOrigin origin, SimEndpoint endpoint, string? linkedId, Action<SimChannel> init, string? requestedId = null)
    {
        // An app may choose the unique id (channelId on originate/create), as Asterisk allows.
        var id = requestedId ?? NextChannelId();
        var channel = new SimChannel
        {
            Id = id,
            Name = NextChannelName(endpoint.Resource),
            LinkedId = linkedId ?? id,
            Origin = origin,
            Endpoint = endpoint,
            EndpointName = endpoint.Resource,
            ProtocolId = origin == ChannelOrigin.Trunk
                ? string.Create(CultureInfo.InvariantCulture, $"{_channelCounter}-{Environment.ProcessId}@127.0.0.1")
                : Guid.NewGuid().ToString(),
            CreatedAt = Now,
        };
        init(channel);
        _channels[id] = channel;
        Publish(new Changes.ChannelCreated(Now, ToInfo(channel)));
        // Before any app subscribed to the channel itself: only the endpoint's subscribers see its creation.
        SendEndpointChannelsChanged(endpoint);
        SendToEndpointSubscribers(channel, new ChannelCreated { Channel = ToAri(channel) });
        return channel;
    }

    // ---- Trunk (SIP side) ----

    public SimChannel TrunkInvite(string from, string callerName, string to) => Mutate(() =>
    {
        var channel = NewChannel(ChannelOrigin.Trunk, _endpoints[Options.TrunkEndpoint], null, c =>
        {
            c.State = "Ring";
            c.CallerNumber = from;
            c.CallerName = callerName;
            c.Context = Options.TrunkContext;
            c.Exten = to;
        });
        SetVariable(channel, "SIPDOMAIN", Options.TrunkSipDomain);
        if (Options.StasisEntryDelay > TimeSpan.Zero)
        {
            Schedule(Options.StasisEntryDelay, () => RunTrunkDialplan(channel));
        }
        else
        {
            RunTrunkDialplan(channel);
        }
        return channel;
    });

    private void RunTrunkDialplan(SimChannel channel)
    {
        if (channel.IsHungUp)
        {
            return;
        }
        if (Options.NativeExtensions.TryGetValue(channel.Exten, out var nativeContext))
        {
            // A native dialplan application (e.g. Answer + Echo): never in Stasis, answered at once.
            channel.Context = nativeContext;
            channel.Priority = 1;
            channel.AppName = "Answer";
            channel.AppData = "";
            DialplanStep(channel);
            SetState(channel, "Up");
            return;
        }
        if (Options.TrunkNoOpData is { } noOpData)
        {
            var callerIdAll = channel.CallerName.Length > 0 ? $"\"{channel.CallerName}\" <{channel.CallerNumber}>" : $"<{channel.CallerNumber}>";
            channel.AppName = "NoOp";
            channel.AppData = noOpData
                .Replace("${EXTEN}", channel.Exten, StringComparison.Ordinal)
                .Replace("${CALLERID(all)}", callerIdAll, StringComparison.Ordinal);
            DialplanStep(channel);
            channel.Priority = 2;
        }
        var appData = Options.TrunkStasisAppData.Replace("${EXTEN}", channel.Exten, StringComparison.Ordinal);
        channel.AppName = "Stasis";
        channel.AppData = appData;
        DialplanStep(channel);
        var parts = appData.Split(',');
        var app = parts[0];
        if (!IsActive(app))
        {
            // Stasis() fails at once ("Stasis app ... doesn't exist"); the dialplan hangs up and the caller gets 603 Decline.
            channel.Declined = true;
            SetVariable(channel, "STASISSTATUS", "FAILED", sendToApp: false);
            DestroyChannel(channel, 21, "Call Rejected", sendToApp: false);
            return;
        }
        SetVariable(channel, "STASISSTATUS", "");
        EnterStasis(channel, app, parts[1..]);
    }

    /// <summary>The dialplan runs the channel's current application: AMI Newexten, and ChannelDialplan to the endpoint's subscribers.</summary>
    private void DialplanStep(SimChannel channel)
    {
        Publish(new Changes.ChannelDialplanStep(Now, ToInfo(channel)));
        SendToEndpointSubscribers(channel, new ChannelDialplan { Channel = ToAri(channel), DialplanApp = channel.AppName, DialplanAppData = channel.AppData });
    }

    private void EnterStasis(SimChannel channel, string app, string[] args)
    {
        channel.InStasis = true;
        channel.StasisApp = app;
        channel.SubscribedApp = app;
        channel.StasisArgs = args;
        channel.StasisStarts++;
        Publish(new Changes.StasisEntered(Now, ToInfo(channel), app, args));
        Send(app, new StasisStart { Args = args, Channel = ToAri(channel) });
    }

    public void TrunkDropAll() => Mutate(() =>
    {
        foreach (var channel in _channels.Values.Where(c => c.Origin == ChannelOrigin.Trunk).ToArray())
        {
            Hangup(channel, byApp: false);
        }
    });

    public void RemoteHangup(SimChannel channel) => Mutate(() => Hangup(channel, byApp: false));

    public void Dtmf(SimChannel channel, string digits) => Mutate(() =>
    {
        foreach (var digit in digits)
        {
            if (channel.IsHungUp)
            {
                return;
            }
            var text = digit.ToString();
            // Digits pressed "at once" by a script still reach the app a millisecond apart, as no real phone can send
            // two at the same instant: Asterisk stamps events to the millisecond, and identical frames are repeats.
            var at = channel.LastDtmfAt is { } last && last.AddMilliseconds(1) > Now ? last.AddMilliseconds(1) : Now;
            channel.LastDtmfAt = at;
            Publish(new Changes.DtmfReceived(at, ToInfo(channel), text, 280));
            SendChannelEvent(channel, new ChannelDtmfReceived { Digit = text, DurationMs = 280, Channel = ToAri(channel) }, at);
            OnDtmfForRecording(channel, text);
        }
    });

    public void Speak(SimChannel channel, TimeSpan length) => Mutate(() =>
    {
        var from = Now;
        channel.Speech.Add((from, from + length));
        channel.SpeakingUntil = from + length;
        OnSpeechForRecording(channel);
    });

    // ---- State changes shared by every path ----

    /// <param name="publishDeviceState">False where Asterisk's (asynchronous) device state change comes after the dial
    /// events of the same step (ami-originate: DialState RINGING, DialEnd ANSWER before DeviceStateChange).</param>
    private void SetState(SimChannel channel, string state, bool publishDeviceState = true)
    {
        channel.State = state;
        if (state == "Up")
        {
            channel.AnsweredAt ??= Now;
        }
        Publish(new Changes.ChannelStateChanged(Now, ToInfo(channel)));
        SendChannelEvent(channel, new ChannelStateChange { Channel = ToAri(channel) });
        if (publishDeviceState && channel.Endpoint is { IsPhone: true } endpoint)
        {
            PublishDeviceState(endpoint);
        }
    }

    private void SetVariable(SimChannel channel, string name, string value, bool sendToApp = true)
    {
        channel.Variables[name] = value;
        Publish(new Changes.ChannelVarSet(Now, ToInfo(channel), name, value));
        SendChannelEvent(channel, new ChannelVarset { Variable = name, Value = value, Channel = ToAri(channel) }, sendToApp ? channel.SubscribedApp : null);
    }

    /// <summary>
    /// A hangup as PJSIP does it: the RTP QoS varsets (with the bridged peer's *BRIDGED twins interleaved), ChannelHangupRequest
    /// (cause 32 soft for the app's DELETE, none for a BYE), failed playbacks, finished recording, bridge exit, StasisEnd, and for
    /// channels the app created STASISSTATUS + ChannelDestroyed.
    /// </summary>
    private void Hangup(SimChannel channel, bool byApp, int cause = 16)
    {
        if (channel.IsHungUp || channel.HangupRequested)
        {
            return;
        }
        channel.HangupRequested = true;
        Cancel(channel.RingTimer);
        Cancel(channel.AnswerTimer);
        var peer = channel.Bridge is { Type: "mixing" } bridge ? bridge.Channels.FirstOrDefault(c => c != channel) : null;
        foreach (var (name, value) in channel.Origin == ChannelOrigin.Snoop ? [] : RtpQosVariables)
        {
            SetVariable(channel, name, value);
            if (peer is not null)
            {
                SetVariable(peer, name + "BRIDGED", value);
            }
        }
        Publish(new Changes.ChannelHangupRequested(Now, ToInfo(channel), byApp ? 32 : null, byApp));
        SendChannelEvent(channel, new ChannelHangupRequest { Cause = byApp ? 32 : null, Soft = byApp ? true : null, Channel = ToAri(channel) });
        FailPlaybacksOf(channel);
        FinishRecordingOf(channel);
        if (channel.Bridge is not null)
        {
            SetVariable(channel, "BRIDGEPEER", "");
            SetVariable(channel, "BRIDGEPVTCALLID", "");
            LeaveBridge(channel, byHangup: true);
        }
        var wasInStasis = channel.InStasis;
        LeaveStasis(channel);
        if (wasInStasis && channel.Origin == ChannelOrigin.Trunk)
        {
            // Stasis() returned into a hung-up dialplan, which hangs the channel up in its turn (soft, with the cause);
            // the app no longer follows the channel, so only the endpoint's subscribers see it.
            SendToEndpointSubscribers(channel, new ChannelHangupRequest { Cause = cause, Soft = true, Channel = ToAri(channel) });
        }
        // ARI's ChannelDestroyed after a BYE without a Reason header says cause 0 "Unknown" (ari-device-state.json, and the
        // trunk's in ari-endpoint-subscription-duplicates' lab log); AMI's Hangup for a BYE was not recorded and keeps the cause.
        DestroyChannel(channel, cause, CauseText(cause), sendToApp: IsSubscribedBeyondStasis(channel), ariCause: byApp ? null : (0, "Unknown"));
    }

    /// <summary>
    /// Channels the app originated or created stay subscribed after StasisEnd (STASISSTATUS, ChannelDestroyed follow);
    /// dialplan and snoop channels were only seen through Stasis, so StasisEnd is their last event.
    /// </summary>
    private static bool IsSubscribedBeyondStasis(SimChannel channel) => channel.Origin is ChannelOrigin.Originated or ChannelOrigin.Created;

    private static string CauseText(int cause) => cause switch
    {
        16 => "Normal Clearing",
        17 => "User busy",
        19 => "User alerting, no answer",
        21 => "Call Rejected",
        26 => "Answered elsewhere",
        34 => "Circuit/channel congestion",
        _ => "Unknown",
    };

    /// <summary>DELETE /channels/{id}?reason=…: the hangup cause Asterisk sets (ast_ari_channels_hangup); null for an unknown reason.</summary>
    private static int? HangupCause(string? reason) => reason switch
    {
        null or "" or "normal" => 16,
        "busy" => 17,
        "congestion" => 34,
        "no_answer" => 19,
        "answered_elsewhere" => 26,
        _ => null,
    };

    /// <summary>
    /// StasisEnd; when the channel leaves the Stasis() application (not on a move to another app) Stasis() returns and
    /// sets STASISSTATUS=SUCCESS, which only an app still subscribed to the channel sees (AMI always does).
    /// </summary>
    private void LeaveStasis(SimChannel channel, bool exitApplication = true)
    {
        if (!channel.InStasis)
        {
            return;
        }
        channel.InStasis = false;
        Publish(new Changes.StasisLeft(Now, ToInfo(channel), channel.StasisApp ?? ""));
        Send(channel.StasisApp, new StasisEnd { Channel = ToAri(channel) });
        channel.StasisApp = null;
        if (!IsSubscribedBeyondStasis(channel))
        {
            channel.SubscribedApp = null;
        }
        if (exitApplication)
        {
            SetVariable(channel, "STASISSTATUS", "SUCCESS");
        }
    }

    private void DestroyChannel(SimChannel channel, int cause, string causeText, bool sendToApp, int? techCause = null, (int Cause, string Text)? ariCause = null)
    {
        if (channel.IsHungUp)
        {
            return;
        }
        channel.IsHungUp = true;
        Cancel(channel.RingTimer);
        Cancel(channel.AnswerTimer);
        if (channel.NativeApplication is not null && channel.Dialing)
        {
            // An AMI originate hung up (or declined) while ringing: the originator learns it as a hangup (AST_CONTROL_HANGUP).
            channel.Dialing = false;
            Publish(new Changes.OriginateCompleted(Now, channel.OriginateCorrelationId, ToInfo(channel), false, 1));
        }
        if (channel.Origin == ChannelOrigin.Originated)
        {
            // Asterisk reports the originated leg back on its dial "application" once it leaves Stasis.
            channel.AppName = "AppDial2";
            channel.AppData = "(Outgoing Line)";
        }
        else if (channel.Origin == ChannelOrigin.Created || channel.Origin == ChannelOrigin.Trunk && channel.StasisStarts > 0)
        {
            // A created channel never ran the dialplan; a trunk channel's dialplan ended when Stasis() returned.
            channel.AppName = "";
            channel.AppData = "";
        }
        _channels.Remove(channel.Id);
        StopMoh(channel);
        Publish(new Changes.ChannelDestroyed(Now, ToInfo(channel), cause, causeText));
        var (ariCauseCode, ariCauseText) = ariCause ?? (cause, causeText);
        SendChannelEvent(channel, new ChannelDestroyed { Cause = ariCauseCode, CauseTxt = ariCauseText, TechCause = techCause, Channel = ToAri(channel) },
            sendToApp ? channel.SubscribedApp : null);
        if (channel.Endpoint is { } owner)
        {
            SendEndpointChannelsChanged(owner);
        }
        channel.SubscribedApp = null;
        EndSnoopsOf(channel);
        if (channel.Endpoint is { } endpoint && endpoint.CurrentChannel == channel)
        {
            endpoint.CurrentChannel = null;
            if (endpoint.IsPhone)
            {
                PublishDeviceState(endpoint);
            }
        }
    }

    // ---- ARI: channels ----

    private AriResponse WithStasisChannel(string id, Func<SimChannel, AriResponse> action) => Mutate(() =>
    {
        if (!_channels.TryGetValue(id, out var channel) || channel.IsHungUp)
        {
            return AriResponse.ChannelNotFound;
        }
        return channel.InStasis ? action(channel) : AriResponse.NotInStasis;
    });

    public AriResponse ListChannels() => Read(() => AriResponse.Ok(_channels.Values.Select(ToAri).ToArray()));

    public AriResponse GetChannel(string id) => Read(() =>
        _channels.TryGetValue(id, out var c) ? AriResponse.Ok(ToAri(c)) : AriResponse.ChannelNotFound);

    public AriResponse HangupChannel(string id, string? reason) => Mutate(() =>
    {
        if (!_channels.TryGetValue(id, out var channel) || channel.IsHungUp)
        {
            return AriResponse.ChannelNotFound;
        }
        if (HangupCause(reason) is not { } cause)
        {
            return AriResponse.Error(400, "Invalid Reason", "Invalid reason for hangup provided");
        }
        if (!channel.InStasis && channel.Origin == ChannelOrigin.Trunk)
        {
            // A native dialplan channel: hung up without Stasis events.
            DestroyChannel(channel, cause, CauseText(cause), sendToApp: false);
            return AriResponse.NoContent;
        }
        if (channel.Dialing && channel.State != "Up")
        {
            // Cancelling an originate that still rings.
            DestroyChannel(channel, cause, CauseText(cause), sendToApp: true);
            return AriResponse.NoContent;
        }
        Hangup(channel, byApp: true, cause);
        return AriResponse.NoContent;
    });

    public AriResponse Answer(string id) => WithControllableChannel(id, channel =>
    {
        if (channel.State != "Up")
        {
            SetState(channel, "Up");
        }
        return AriResponse.NoContent;
    });

    /// <summary>
    /// POST/DELETE /ring: chan_pjsip answers AST_CONTROL_RINGING with a 180 to the caller but never changes the channel
    /// state, so the channel stays in Ring and the app gets no event.
    /// </summary>
    public AriResponse Ring(string id) => WithControllableChannel(id, _ => AriResponse.NoContent);

    public AriResponse SendDtmf(string id, string? dtmf) => WithControllableChannel(id, _ =>
        string.IsNullOrEmpty(dtmf) ? AriResponse.BadRequest("DTMF is required") : AriResponse.NoContent);

    /// <summary>GET variable works on any channel, in Stasis or not; its own 404 wording differs from the other channel routes.</summary>
    public AriResponse GetVariable(string id, string? name) => Mutate(() =>
    {
        if (string.IsNullOrEmpty(name))
        {
            return AriResponse.BadRequest("Variable name is required");
        }
        if (!_channels.TryGetValue(id, out var channel) || channel.IsHungUp)
        {
            return AriResponse.Error(404, "Channel Not Found", "Provided channel was not found");
        }
        var value = name switch
        {
            "CALLERID(num)" => channel.CallerNumber,
            "CALLERID(name)" => channel.CallerName,
            "CONNECTEDLINE(num)" => channel.ConnectedNumber,
            "CONNECTEDLINE(name)" => channel.ConnectedName,
            "CHANNEL(state)" => channel.State,
            "CHANNEL(name)" => channel.Name,
            "CHANNEL(language)" => channel.Language,
            "UNIQUEID" => channel.Id,
            _ when name.Contains('(', StringComparison.Ordinal) => null,
            _ => channel.Variables.GetValueOrDefault(name),
        };
        if (value is null)
        {
            return name.Contains('(', StringComparison.Ordinal)
                ? AriResponse.Error(500, "Error With Function", "Unable to read provided function")
                : AriResponse.Error(404, "Variable Not Found", "Provided variable was not found");
        }
        return AriResponse.Ok(new Variable { Value = value });
    });

    /// <summary>POST variable runs on the channel's Stasis control: the name is checked first, then 404/409 as for the other operations.</summary>
    public AriResponse SetChannelVariable(string id, string? name, string? value) => Mutate(() =>
    {
        if (string.IsNullOrEmpty(name))
        {
            return AriResponse.BadRequest("Variable name is required");
        }
        if (!_channels.TryGetValue(id, out var channel) || channel.IsHungUp)
        {
            return AriResponse.ChannelNotFound;
        }
        if (!channel.InStasis)
        {
            return AriResponse.NotInStasis;
        }
        value ??= "";
        switch (name)
        {
            case "CALLERID(num)":
                channel.CallerNumber = value;
                SendChannelEvent(channel, new ChannelCallerId { CallerPresentation = 0, CallerPresentationTxt = "Presentation Allowed, Not Screened", Channel = ToAri(channel) });
                break;
            case "CALLERID(name)":
                channel.CallerName = value;
                SendChannelEvent(channel, new ChannelCallerId { CallerPresentation = 0, CallerPresentationTxt = "Presentation Allowed, Not Screened", Channel = ToAri(channel) });
                break;
            default:
                if (name.Contains('(', StringComparison.Ordinal))
                {
                    return AriResponse.Error(500, "Error With Function", "Unable to write provided function");
                }
                SetVariable(channel, name, value);
                break;
        }
        return AriResponse.NoContent;
    });

    /// <summary>POST continue: the channel leaves Stasis back to the dialplan; an unknown context ends the call there a moment later.</summary>
    public AriResponse Continue(string id) => WithControllableChannel(id, channel =>
    {
        LeaveStasis(channel);
        Schedule(TimeSpan.FromMilliseconds(5), () => DestroyChannel(channel, 16, "Normal Clearing", sendToApp: IsSubscribedBeyondStasis(channel)));
        return AriResponse.NoContent;
    });

    public AriResponse Move(string id, string? app, string? appArgs) => WithStasisChannel(id, channel =>
    {
        if (string.IsNullOrEmpty(app))
        {
            return AriResponse.BadRequest("app is required");
        }
        LeaveStasis(channel, exitApplication: false);
        EnterStasis(channel, app, string.IsNullOrEmpty(appArgs) ? [] : appArgs.Split(','));
        return AriResponse.NoContent;
    });
}
