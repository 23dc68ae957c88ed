using CityContact.Simulator.AriServer;
using CityContact.Telephony.Ari.Models;
using Changes = CityContact.Simulator.Changes;

namespace CityContact.Simulator.Core;

internal sealed partial class SimulatorCore
{
    // Asterisk fails a missing file or a busy announcer within the same millisecond tick as PlaybackStarted (transcripts: 0–1 ms apart).
    private static readonly TimeSpan FailDelay = TimeSpan.FromMilliseconds(1);

    private Playback ToAri(SimPlayback p) => new()
    {
        Id = p.Id,
        MediaUri = p.MediaUris[p.MediaIndex],
        NextMediaUri = p.MediaIndex + 1 < p.MediaUris.Count ? p.MediaUris[p.MediaIndex + 1] : null,
        TargetUri = p.TargetUri,
        Language = p.Language,
        State = p.State,
    };

    public IReadOnlyList<Playback> SnapshotPlaybacks() => Read(() => _playbacks.Values.Select(ToAri).ToArray());

    public AriResponse PlayOnChannel(string id, string? media, string? language, string? playbackId) => WithControllableChannel(id, channel =>
        Play(media, language ?? channel.Language, playbackId, $"channel:{channel.Id}", channel, null, channel.SubscribedApp ?? ""));

    public AriResponse PlayOnBridge(string id, string? media, string? language, string? playbackId) => Mutate(() =>
        _bridges.TryGetValue(id, out var bridge)
            ? Play(media, language ?? "en", playbackId, $"bridge:{bridge.Id}", null, bridge, bridge.App)
            : AriResponse.NotFound("Bridge not found"));

    private AriResponse Play(string? media, string language, string? playbackId, string target, SimChannel? channel, SimBridge? bridge, string app)
    {
        var uris = (media ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (uris.Length == 0)
        {
            return AriResponse.InternalError("Failed to queue media for playback");
        }
        if (playbackId is not null && _playbacks.ContainsKey(playbackId))
        {
            return AriResponse.Conflict("Playback with same id already exists");
        }
        var playback = new SimPlayback
        {
            Id = playbackId ?? Guid.NewGuid().ToString(),
            MediaUris = uris,
            TargetUri = target,
            Language = language,
            Channel = channel,
            Bridge = bridge,
            App = app,
        };
        _playbacks[playback.Id] = playback;
        var queue = channel?.PlaybackQueue ?? bridge!.PlaybackQueue;
        queue.Add(playback);
        var response = AriResponse.Created(ToAri(playback), $"/ari/playbacks/{playback.Id}");
        if (queue.Count == 1)
        {
            StartPlayback(playback);
        }
        return response;
    }

    private void StartPlayback(SimPlayback playback)
    {
        playback.State = "playing";
        RecordPlaybackStart(playback);
        SendPlaybackEvent(playback, new PlaybackStarted { Playback = ToAri(playback) });
        PlayCurrentMedia(playback);
    }

    /// <summary>A channel's playback is published on the channel's topic (see <see cref="SendChannelEvent"/>); a bridge's on the bridge's.</summary>
    private void SendPlaybackEvent(SimPlayback playback, AriEvent ev)
    {
        if (playback.Channel is { } channel)
        {
            SendChannelEvent(channel, ev, playback.App);
        }
        else
        {
            Send(playback.App, ev);
        }
    }

    private void RecordPlaybackStart(SimPlayback playback) => playback.Channel?.PlaybackMedia.Add(playback.MediaUris[playback.MediaIndex]);

    private void PlayCurrentMedia(SimPlayback playback)
    {
        if (playback.Bridge is { MohClass: not null })
        {
            // The bridge already has an announcer (its MOH): Asterisk fails the playback at once.
            playback.Timer = Schedule(FailDelay, () => EndPlayback(playback, "failed"));
            return;
        }
        var length = MediaLength(playback.MediaUris[playback.MediaIndex], playback.Language);
        if (length == TimeSpan.MaxValue)
        {
            AbandonPlayback(playback);
            return;
        }
        if (length < TimeSpan.Zero)
        {
            playback.Timer = Schedule(FailDelay, () => EndPlayback(playback, "failed"));
            return;
        }
        playback.Timer = Schedule(length, () => NextMedia(playback));
    }

    private void NextMedia(SimPlayback playback)
    {
        if (playback.MediaIndex + 1 >= playback.MediaUris.Count)
        {
            EndPlayback(playback, "done");
            return;
        }
        playback.MediaIndex++;
        RecordPlaybackStart(playback);
        SendPlaybackEvent(playback, new PlaybackContinuing { Playback = ToAri(playback) });
        PlayCurrentMedia(playback);
    }

    private void EndPlayback(SimPlayback playback, string state, bool startNext = true)
    {
        if (!_playbacks.Remove(playback.Id))
        {
            return;
        }
        Cancel(playback.Timer);
        var queue = playback.Channel?.PlaybackQueue ?? playback.Bridge!.PlaybackQueue;
        var wasPlaying = playback.State == "playing";
        queue.Remove(playback);
        playback.State = state;
        if (wasPlaying)
        {
            SendPlaybackEvent(playback, new PlaybackFinished { Playback = ToAri(playback) });
        }
        if (startNext && wasPlaying && queue.Count > 0)
        {
            StartPlayback(queue[0]);
        }
    }

    /// <summary>
    /// An unknown media scheme: Asterisk logs "invalid media URI" and returns without a final update, so PlaybackFinished
    /// never comes, but the playback is forgotten (GET answers 404) and the channel goes on with its next queued playback.
    /// </summary>
    private void AbandonPlayback(SimPlayback playback)
    {
        _playbacks.Remove(playback.Id);
        var queue = playback.Channel?.PlaybackQueue ?? playback.Bridge!.PlaybackQueue;
        queue.Remove(playback);
        if (queue.Count > 0)
        {
            StartPlayback(queue[0]);
        }
    }

    private void FailPlaybacksOf(SimChannel channel)
    {
        foreach (var playback in channel.PlaybackQueue.ToArray())
        {
            EndPlayback(playback, "failed", startNext: false);
        }
    }

    /// <summary>Length of a media URI: &lt; 0 for a missing file, <see cref="TimeSpan.MaxValue"/> for an unknown scheme.</summary>
    private TimeSpan MediaLength(string uri, string language)
    {
        var colon = uri.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon < 0 ? "" : uri[..colon];
        var name = colon < 0 ? uri : uri[(colon + 1)..];
        switch (scheme)
        {
            case "sound":
                if (Options.SoundsDirectory is null)
                {
                    return Options.DefaultMediaLength;
                }
                var file = SoundFile.Find(Options.SoundsDirectory, language, name);
                return file is null ? TimeSpan.FromTicks(-1) : SoundFile.Length(file) ?? Options.DefaultMediaLength;
            case "recording":
                var path = Path.Combine(RecordingsDirectory, name + ".wav");
                return File.Exists(path) ? SoundFile.Length(path) ?? Options.DefaultMediaLength : TimeSpan.FromTicks(-1);
            case "tone" or "digits" or "number" or "characters":
                return Options.DefaultMediaLength;
            default:
                return TimeSpan.MaxValue;
        }
    }

    public AriResponse GetPlayback(string id) => Read(() =>
        _playbacks.TryGetValue(id, out var p) ? AriResponse.Ok(ToAri(p)) : AriResponse.NotFound("Playback not found"));

    public AriResponse StopPlayback(string id) => Mutate(() =>
    {
        if (!_playbacks.TryGetValue(id, out var playback))
        {
            return AriResponse.NotFound("Playback not found");
        }
        EndPlayback(playback, "done");
        return AriResponse.NoContent;
    });

    public AriResponse ControlPlayback(string id, string? operation) => Mutate(() =>
    {
        if (!_playbacks.TryGetValue(id, out var playback))
        {
            return AriResponse.NotFound("Playback not found");
        }
        return operation switch
        {
            "restart" or "pause" or "unpause" or "reverse" or "forward" => playback.State == "playing" ? AriResponse.NoContent : AriResponse.Conflict("Playback not playing"),
            _ => AriResponse.BadRequest("Invalid operation"),
        };
    });

    // ---- Bridges ----

    private static readonly HashSet<string> BridgeTypeFlags = ["mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"];

    private static Bridge ToAri(SimBridge b) => new()
    {
        Id = b.Id,
        Technology = b.Technology,
        BridgeType = b.Type,
        BridgeClass = "stasis",
        Creator = "Stasis",
        Name = b.Name,
        Channels = b.Channels.Select(c => c.Id).ToArray(),
        Creationtime = b.CreatedAt,
        VideoMode = "talker",
    };

    private static Changes.BridgeInfo ToInfo(SimBridge b) => new(b.Id, b.Name, b.Type, b.Technology, b.Channels.Select(c => c.Id).ToArray());

    public IReadOnlyList<Bridge> SnapshotBridges() => Read(() => _bridges.Values.Select(ToAri).ToArray());

    public AriResponse ListBridges() => Read(() => AriResponse.Ok(_bridges.Values.Select(ToAri).ToArray()));

    public AriResponse GetBridge(string id) => Read(() =>
        _bridges.TryGetValue(id, out var b) ? AriResponse.Ok(ToAri(b)) : AriResponse.NotFound("Bridge not found"));

    public AriResponse CreateBridge(string? type, string? id, string? name, string app) => Mutate(() =>
    {
        var flags = (type ?? "mixing").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (flags.Any(f => !BridgeTypeFlags.Contains(f)))
        {
            return AriResponse.Error(500, "Internal Error", $"Unable to create bridge. Possible duplicate bridge id '{id ?? "(null)"}'");
        }
        if (id is not null && _bridges.ContainsKey(id))
        {
            return AriResponse.Conflict($"Bridge with id '{id}' already exists");
        }
        var bridge = new SimBridge
        {
            Id = id ?? Guid.NewGuid().ToString(),
            Name = name ?? "",
            Type = flags.Contains("holding") ? "holding" : "mixing",
            CreatedAt = Now,
            App = app,
        };
        _bridges[bridge.Id] = bridge;
        Publish(new Changes.BridgeCreated(Now, ToInfo(bridge)));
        return AriResponse.Ok(ToAri(bridge));
    });

    public AriResponse DestroyBridge(string id) => Mutate(() =>
    {
        if (!_bridges.TryGetValue(id, out var bridge))
        {
            return AriResponse.Error(404, "Not found", "Bridge not found");
        }
        foreach (var channel in bridge.Channels.ToArray())
        {
            LeaveBridge(channel, byHangup: false);
        }
        foreach (var playback in bridge.PlaybackQueue.ToArray())
        {
            EndPlayback(playback, "done", startNext: false);
        }
        _bridges.Remove(id);
        Publish(new Changes.BridgeDestroyed(Now, ToInfo(bridge)));
        if (bridge.EmptiedByHangup)
        {
            // Asterisk sent BridgeDestroyed only when the bridge's channels had all hung up (ari-originate-agent-answers).
            Send(bridge.App, new BridgeDestroyed { Bridge = ToAri(bridge) });
        }
        return AriResponse.NoContent;
    });

    public AriResponse AddToBridge(string id, string? channels) => Mutate(() =>
    {
        if (!_bridges.TryGetValue(id, out var bridge))
        {
            return AriResponse.NotFound("Bridge not found");
        }
        var members = new List<SimChannel>();
        foreach (var channelId in (channels ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!_channels.TryGetValue(channelId, out var channel))
            {
                return AriResponse.BadRequest("Channel not found");
            }
            if (!channel.InStasis)
            {
                return AriResponse.Unprocessable("Channel not in Stasis application");
            }
            members.Add(channel);
        }
        if (members.Count == 0)
        {
            return AriResponse.BadRequest("Missing parameter channel");
        }
        foreach (var channel in members)
        {
            if (channel.Bridge == bridge)
            {
                continue;
            }
            if (channel.Bridge is not null)
            {
                LeaveBridge(channel, byHangup: false);
            }
            channel.Bridge = bridge;
            bridge.Channels.Add(channel);
            Publish(new Changes.BridgeEntered(Now, ToInfo(bridge), ToInfo(channel)));
            Send(channel.SubscribedApp, new ChannelEnteredBridge { Bridge = ToAri(bridge), Channel = ToAri(channel) });
        }
        if (bridge.Type == "mixing" && bridge.Channels.Count == 2)
        {
            var (a, b) = (bridge.Channels[0], bridge.Channels[1]);
            SetVariable(a, "BRIDGEPEER", b.Name);
            SetVariable(a, "BRIDGEPVTCALLID", b.ProtocolId);
            SetVariable(b, "BRIDGEPEER", a.Name);
            SetVariable(b, "BRIDGEPVTCALLID", a.ProtocolId);
            (b.ConnectedName, b.ConnectedNumber) = (a.CallerName, a.CallerNumber);
            SendChannelEvent(b, new ChannelConnectedLine { Channel = ToAri(b) });
            (a.ConnectedName, a.ConnectedNumber) = (b.CallerName, b.CallerNumber);
            SendChannelEvent(a, new ChannelConnectedLine { Channel = ToAri(a) });
        }
        return AriResponse.NoContent;
    });

    public AriResponse RemoveFromBridge(string id, string? channelId) => Mutate(() =>
    {
        if (!_bridges.TryGetValue(id, out var bridge))
        {
            return AriResponse.NotFound("Bridge not found");
        }
        if (channelId is null || !_channels.TryGetValue(channelId, out var channel))
        {
            return AriResponse.BadRequest("Channel not found");
        }
        if (channel.Bridge != bridge)
        {
            return AriResponse.Unprocessable("Channel not in this bridge");
        }
        LeaveBridge(channel, byHangup: false);
        return AriResponse.NoContent;
    });

    private void LeaveBridge(SimChannel channel, bool byHangup)
    {
        if (channel.Bridge is not { } bridge)
        {
            return;
        }
        bridge.Channels.Remove(channel);
        channel.Bridge = null;
        if (byHangup && bridge.Channels.Count == 0)
        {
            bridge.EmptiedByHangup = true;
        }
        Publish(new Changes.BridgeLeft(Now, ToInfo(bridge), ToInfo(channel)));
        Send(channel.SubscribedApp, new ChannelLeftBridge { Bridge = ToAri(bridge), Channel = ToAri(channel) });
    }

    /// <summary>Bridge music on hold: no ARI event, but it occupies the bridge's announcer.</summary>
    public AriResponse BridgeMoh(string id, string? mohClass, bool start) => Mutate(() =>
    {
        if (!_bridges.TryGetValue(id, out var bridge))
        {
            return AriResponse.NotFound("Bridge not found");
        }
        bridge.MohClass = start ? mohClass ?? "default" : null;
        return AriResponse.NoContent;
    });
}
