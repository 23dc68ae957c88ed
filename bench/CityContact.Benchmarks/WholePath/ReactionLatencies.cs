using CityContact.Simulator;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Benchmarks.WholePath;

/// <summary>
/// Times the service's reactions: every ARI event the simulator sends (kept as a small struct in a list sized up front,
/// so that recording allocates nothing while memory is measured) against every REST request it receives. A request's
/// cause is the latest event, sent before the request arrived, about a channel the request names (in its path or a
/// parameter, or through a bridge it names) or about that channel's partner in the call (the caller of an agent leg
/// and the other way round, linked when the service rings the agent). Ringing an agent (an originate) is the
/// dispatcher's decision (an agent free, a caller waiting), not a reaction to an event, so it is left out; so are
/// requests that name no known channel.
/// </summary>
internal sealed class ReactionLatencies
{
    private readonly List<SentEvent> _events;
    private readonly List<(string Bridge, string Channel)> _bridgeEntries;

    public ReactionLatencies(int expectedEvents, int expectedBridgeEntries)
    {
        _events = new List<SentEvent>(expectedEvents);
        _bridgeEntries = new List<(string, string)>(expectedBridgeEntries);
    }

    private readonly record struct SentEvent(DateTimeOffset At, string Type, string ChannelId);

    /// <summary>The simulator's observer: called under its lock, one event at a time.</summary>
    public void Observe(AriEvent sent)
    {
        var channel = sent switch
        {
            StasisStart e => e.Channel.Id,
            StasisEnd e => e.Channel.Id,
            ChannelStateChange e => e.Channel.Id,
            ChannelDtmfReceived e => e.Channel.Id,
            ChannelHangupRequest e => e.Channel.Id,
            ChannelDestroyed e => e.Channel.Id,
            ChannelVarset e => e.Channel?.Id,
            ChannelEnteredBridge e => e.Channel?.Id,
            ChannelLeftBridge e => e.Channel.Id,
            PlaybackStarted e => ChannelOf(e.Playback),
            PlaybackFinished e => ChannelOf(e.Playback),
            Dial e => e.Peer.Id,
            _ => null,
        };
        if (channel is null)
        {
            return;
        }
        _events.Add(new SentEvent(sent.Timestamp, sent.Type, channel));
        if (sent is ChannelEnteredBridge entered)
        {
            _bridgeEntries.Add((entered.Bridge.Id, channel));
        }
    }

    private static string? ChannelOf(Playback playback) =>
        playback.TargetUri.StartsWith("channel:", StringComparison.Ordinal) ? playback.TargetUri["channel:".Length..] : null;

    public int EventCount => _events.Count;

    /// <summary>Latencies (ms) of the requests received from <paramref name="from"/> on, overall and by "event → request" kind.</summary>
    public Reactions Measure(IReadOnlyList<AriRequestRecord> requests, DateTimeOffset from)
    {
        var byChannel = new Dictionary<string, List<SentEvent>>(StringComparer.Ordinal);
        foreach (var sent in _events)
        {
            if (!byChannel.TryGetValue(sent.ChannelId, out var list))
            {
                byChannel[sent.ChannelId] = list = [];
            }
            list.Add(sent);
        }
        var bridgeMembers = _bridgeEntries.GroupBy(e => e.Bridge, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(e => e.Channel).ToArray(), StringComparer.Ordinal);
        var partners = new Dictionary<string, (string Partner, DateTimeOffset Since)>(StringComparer.Ordinal);
        var all = new List<double>();
        var byKind = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var originates = 0;
        var unattributed = 0;
        foreach (var request in requests)
        {
            if (IsOriginate(request))
            {
                // The leg's id and the caller's (appArgs "transfer,<caller>") tie the two channels of the call together.
                if (request.Parameters.TryGetValue("channelId", out var leg) && request.Parameters.TryGetValue("appArgs", out var args)
                    && args.Split(',').LastOrDefault(byChannel.ContainsKey) is { } caller)
                {
                    partners[leg] = (caller, request.Timestamp);
                    partners[caller] = (leg, request.Timestamp);
                }
                originates += request.Timestamp >= from ? 1 : 0;
                continue;
            }
            if (request.Timestamp < from)
            {
                continue;
            }
            var named = NamedChannels(request, byChannel, bridgeMembers);
            foreach (var channel in named.ToArray())
            {
                if (partners.TryGetValue(channel, out var partner) && partner.Since <= request.Timestamp)
                {
                    named.Add(partner.Partner);
                }
            }
            SentEvent? cause = null;
            foreach (var channel in named)
            {
                if (byChannel.TryGetValue(channel, out var events) && LatestBefore(events, request.Timestamp) is { } latest
                    && (cause is null || latest.At > cause.Value.At))
                {
                    cause = latest;
                }
            }
            if (cause is not { } found)
            {
                unattributed++;
                continue;
            }
            var ms = (request.Timestamp - found.At).TotalMilliseconds;
            all.Add(ms);
            var kind = $"{found.Type} → {request.Method} {Shape(request.Path)}";
            if (!byKind.TryGetValue(kind, out var kindList))
            {
                byKind[kind] = kindList = [];
            }
            kindList.Add(ms);
        }
        return new Reactions(
            [.. all.Order()],
            byKind.ToDictionary(k => k.Key, k => k.Value.Order().ToArray(), StringComparer.Ordinal),
            originates,
            unattributed);
    }

    private static bool IsOriginate(AriRequestRecord request) =>
        request.Method == "POST" && request.Parameters.ContainsKey("endpoint")
        && request.Path.Split('/', StringSplitOptions.RemoveEmptyEntries) is ["ari", "channels"] or ["ari", "channels", _];

    private static HashSet<string> NamedChannels(
        AriRequestRecord request, Dictionary<string, List<SentEvent>> known, Dictionary<string, string[]> bridgeMembers)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in request.Path.Split('/').Concat(request.Parameters.Values.SelectMany(v => v.Split(',', '-'))))
        {
            if (known.ContainsKey(token))
            {
                named.Add(token);
            }
            else if (bridgeMembers.TryGetValue(token, out var members))
            {
                named.UnionWith(members);
            }
        }
        return named;
    }

    /// <summary>Events of one channel are in sending order: a binary search finds the last one at or before <paramref name="at"/>.</summary>
    private static SentEvent? LatestBefore(List<SentEvent> events, DateTimeOffset at)
    {
        int low = 0, high = events.Count - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            if (events[middle].At <= at)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return found < 0 ? null : events[found];
    }

    /// <summary>/ari/channels/1795354109.7/play/0a1b… → channels/{id}/play/{id}: resource, id, operation, id.</summary>
    private static string Shape(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
        for (var i = 1; i < segments.Length; i += 2)
        {
            segments[i] = "{id}";
        }
        return string.Join('/', segments);
    }
}

/// <summary>Sorted latencies in milliseconds.</summary>
internal sealed record Reactions(double[] All, IReadOnlyDictionary<string, double[]> ByKind, int Originates, int Unattributed);
