using System.Globalization;
using CityContact.Simulator.AriServer;
using CityContact.Telephony.Ari.Models;
using Changes = CityContact.Simulator.Changes;

namespace CityContact.Simulator.Core;

/// <summary>
/// Hold, music on hold, mute, silence and snoop, as res_ari_channels and res_stasis_snoop do them: the app's own
/// operations raise no ARI event (Asterisk only indicates them to the channel); ChannelHold/ChannelUnhold come when the
/// far end holds.
/// </summary>
internal sealed partial class SimulatorCore
{
    // res_stasis_snoop reads its audiohook every 20 ms and hangs up at the first read after the snooped channel is gone.
    private static readonly TimeSpan SnoopInterval = TimeSpan.FromMilliseconds(20);
    private static readonly HashSet<string> SnoopDirections = ["none", "both", "out", "in"];
    private int _snoopCounter;

    /// <summary>
    /// The operations Asterisk refuses on an outbound channel not yet answered (channel_state_invalid): 412 in state
    /// Down, Rsrvd or Ringing. Inbound channels ring in state Ring and pass.
    /// </summary>
    private AriResponse WithControllableChannel(string id, Func<SimChannel, AriResponse> action) => WithStasisChannel(id, channel =>
        channel.State is "Down" or "Rsrvd" or "Ringing"
            ? AriResponse.Error(412, "Precondition Failed", "Channel in invalid state")
            : action(channel));

    /// <summary>POST/DELETE /hold: chan_pjsip answers AST_CONTROL_HOLD with music on hold to the phone; no ARI event.</summary>
    public AriResponse Hold(string id, bool hold) => WithControllableChannel(id, channel =>
    {
        channel.HeldByApp = hold;
        if (hold)
        {
            StartMoh(channel, "default");
        }
        else
        {
            StopMoh(channel);
        }
        return AriResponse.NoContent;
    });

    /// <summary>POST/DELETE /moh: music on hold to the channel; AMI MusicOnHoldStart/Stop, no ARI event.</summary>
    public AriResponse ChannelMoh(string id, string? mohClass, bool start) => WithControllableChannel(id, channel =>
    {
        if (start)
        {
            StartMoh(channel, string.IsNullOrEmpty(mohClass) ? "default" : mohClass);
        }
        else
        {
            StopMoh(channel);
        }
        return AriResponse.NoContent;
    });

    /// <summary>POST/DELETE /mute: the direction is required and must be in, out or both; no event.</summary>
    public AriResponse Mute(string id, string? direction, bool mute) => WithControllableChannel(id, channel =>
    {
        if (string.IsNullOrEmpty(direction))
        {
            return AriResponse.BadRequest("Direction is required");
        }
        string[] directions = direction switch
        {
            "in" => ["in"],
            "out" => ["out"],
            "both" => ["in", "out"],
            _ => [],
        };
        if (directions.Length == 0)
        {
            return AriResponse.BadRequest("Invalid direction specified");
        }
        foreach (var d in directions)
        {
            if (mute)
            {
                channel.Muted.Add(d);
            }
            else
            {
                channel.Muted.Remove(d);
            }
        }
        return AriResponse.NoContent;
    });

    /// <summary>POST/DELETE /silence: a silence generator; no event.</summary>
    public AriResponse Silence(string id, bool start) => WithControllableChannel(id, channel =>
    {
        channel.SilenceGenerator = start;
        return AriResponse.NoContent;
    });

    private void StartMoh(SimChannel channel, string mohClass)
    {
        if (channel.MohClass == mohClass)
        {
            return;
        }
        StopMoh(channel);
        channel.MohClass = mohClass;
        Publish(new Changes.MusicOnHoldChanged(Now, ToInfo(channel), true, mohClass));
    }

    private void StopMoh(SimChannel channel)
    {
        if (channel.MohClass is not { } mohClass)
        {
            return;
        }
        channel.MohClass = null;
        Publish(new Changes.MusicOnHoldChanged(Now, ToInfo(channel), false, mohClass));
    }

    /// <summary>
    /// The far end holds or resumes (re-INVITE sendonly/sendrecv): ChannelHold (no musicclass: PJSIP suggests none) or
    /// ChannelUnhold; in a mixing bridge the hold reaches the peer, which hears music on hold.
    /// </summary>
    public void RemoteHold(SimChannel channel, bool hold) => Mutate(() =>
    {
        if (channel.IsHungUp || channel.HangupRequested || channel.State != "Up" || channel.HeldByRemote == hold)
        {
            return;
        }
        channel.HeldByRemote = hold;
        Publish(new Changes.ChannelHoldChanged(Now, ToInfo(channel), hold, null));
        SendChannelEvent(channel, hold ? new ChannelHold { Channel = ToAri(channel) } : new ChannelUnhold { Channel = ToAri(channel) });
        if (channel.Bridge is { Type: "mixing" } bridge)
        {
            foreach (var peer in bridge.Channels.Where(c => c != channel))
            {
                if (hold)
                {
                    StartMoh(peer, "default");
                }
                else
                {
                    StopMoh(peer);
                }
            }
        }
    });

    // ---- Snoop ----

    /// <summary>
    /// POST /channels/{id}/snoop: a Snoop/{id}-{n:x8} channel, Up, context default/s, that enters Stasis(app,appArgs)
    /// at once. The 200 body is its snapshot before Stasis (empty dialplan app). Like a dialplan channel, the app is not
    /// subscribed to it beyond Stasis: StasisEnd is its last event.
    /// </summary>
    public AriResponse Snoop(string id, IReadOnlyDictionary<string, string> p, string? snoopId) => Mutate(() =>
    {
        var spy = p.GetValueOrDefault("spy") ?? "";
        var whisper = p.GetValueOrDefault("whisper") ?? "";
        if (spy.Length > 0 && !SnoopDirections.Contains(spy))
        {
            return AriResponse.BadRequest("Invalid direction specified for spy");
        }
        if (whisper.Length > 0 && !SnoopDirections.Contains(whisper))
        {
            return AriResponse.BadRequest("Invalid direction specified for whisper");
        }
        if (spy is "" or "none" && whisper is "" or "none")
        {
            return AriResponse.BadRequest("Direction must be specified for at least spy or whisper");
        }
        var app = p.GetValueOrDefault("app");
        if (string.IsNullOrEmpty(app))
        {
            return AriResponse.BadRequest("Application name is required");
        }
        if (!_channels.TryGetValue(id, out var snooped) || snooped.IsHungUp)
        {
            return AriResponse.Error(404, "Channel Not Found", "Provided channel was not found");
        }
        if (snoopId is not null && _channels.ContainsKey(snoopId))
        {
            return AriResponse.Error(500, "Internal error", "Snoop channel could not be created");
        }
        var channelId = snoopId ?? NextChannelId();
        var channel = new SimChannel
        {
            Id = channelId,
            Name = string.Create(CultureInfo.InvariantCulture, $"Snoop/{snooped.Id}-{_snoopCounter++:x8}"),
            LinkedId = channelId,
            Origin = ChannelOrigin.Snoop,
            Endpoint = null,
            EndpointName = "",
            ProtocolId = "",
            CreatedAt = Now,
            SnoopedChannel = snooped,
            State = "Up",
            Context = "default",
            Exten = "s",
        };
        _channels[channel.Id] = channel;
        snooped.Snoops.Add(channel);
        Publish(new Changes.ChannelCreated(Now, ToInfo(channel)));
        Publish(new Changes.SnoopStarted(Now, ToInfo(channel), ToInfo(snooped)));
        var response = AriResponse.Ok(ToAri(channel));
        var appArgs = p.GetValueOrDefault("appArgs");
        channel.AppName = "Stasis";
        channel.AppData = string.IsNullOrEmpty(appArgs) ? app : $"{app},{appArgs}";
        Publish(new Changes.ChannelDialplanStep(Now, ToInfo(channel)));
        if (!IsActive(app))
        {
            // Stasis() fails for an app without a WebSocket; the snoop thread hangs the channel up.
            DestroyChannel(channel, 16, "Normal Clearing", sendToApp: false);
            return response;
        }
        EnterStasis(channel, app, string.IsNullOrEmpty(appArgs) ? [] : appArgs.Split(','));
        return response;
    });

    /// <summary>The snooped channel is gone: each of its snoops leaves Stasis at its next 20 ms read (StasisEnd, no hangup request).</summary>
    private void EndSnoopsOf(SimChannel snooped)
    {
        foreach (var snoop in snooped.Snoops.Where(c => !c.HangupRequested && !c.IsHungUp))
        {
            snoop.HangupRequested = true;
            Schedule(SnoopInterval, () =>
            {
                LeaveStasis(snoop);
                DestroyChannel(snoop, 16, "Normal Clearing", sendToApp: false);
            });
        }
    }
}
