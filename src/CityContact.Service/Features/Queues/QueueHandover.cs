using System.Globalization;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using CityContact.Telephony.Ari.Rest;

namespace CityContact.Service.Features.Queues;

/// <summary>A timer of a waiting caller fired: announce the position, or the maximum wait is reached.</summary>
internal sealed record QueueTick(QueueEntry Entry, string Kind) : Stimulus;

/// <summary>
/// The <c>queue</c> node: the caller waits in a holding bridge with music on hold, hears position and estimated wait
/// every few seconds, and is connected in a mixing bridge to the agent the dispatcher offers. Runs on the call's own
/// coroutine (its inbox carries the caller's events, the agent legs' events and the dispatcher's offers).
/// The caller's place is kept on the channel (<see cref="QueuePlace"/>) and both bridges have ids derived from the
/// channel's, so that after a restart the next instance finds the caller, their place and their bridges again.
/// </summary>
public sealed partial class QueueHandover(
    QueueDispatcher dispatcher, ICallbackScheduler callbacks, AsteriskConnection asterisk, QueueCallLog callLog, PromptCatalog prompts, IOptions<QueueOptions> options,
    TimeProvider time, IServiceProvider services, ILogger<QueueHandover> logger) : ICallHandover, IResumableHandover
{
    private AriRestClient Ari => asterisk.Ari.Rest;

    // The IVR app owns the routing of the agent legs' events; resolved late because it depends on this handover.
    private IvrApp Ivr => services.GetRequiredService<IvrApp>();

    private Quality.CallRecordings Recordings => services.GetRequiredService<Quality.CallRecordings>();

    /// <summary>The caller's holding bridge; the same id in every instance, so that the next one finds it after a restart.</summary>
    public static string HoldingBridgeId(string channelId) => $"queue-{channelId}";

    /// <summary>The caller's bridge with the agent who answered.</summary>
    public static string AgentBridgeId(string channelId) => $"agent-{channelId}";

    public async Task<string?> HandOverAsync(CallHandler call, FlowNode node, CancellationToken ct)
    {
        await dispatcher.Loaded;
        var priority = node.Priority ?? 0;
        call.Step("queue.entered", new { queue = node.Queue, priority });
        var queue = await dispatcher.QueueAsync(node.Queue ?? "", ct);
        if (queue is null)
        {
            return await OverflowAsync(call, node, "unknown-queue", ct);
        }
        // The recording notice (when the queue's policy records this call) comes before any agent.
        await Recordings.NoticeAsync(call, queue.Id, ct);
        var place = new QueuePlace(call.Path.Count > 0 ? call.Path[^1] : "", call.Language, queue.Code, priority, time.GetUtcNow(), null);
        return await WaitAsync(call, node, queue, place, resumed: false, ct);
    }

    public async Task<HandoverPlace?> ReclaimAsync(string channelId, CancellationToken ct)
    {
        string value;
        try
        {
            value = await Ari.Channels.GetVariableAsync(channelId, QueuePlace.Variable, ct);
        }
        catch (AriNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            LogPlaceUnreadable(channelId, e.Message);
            return null;
        }
        if (value.Length == 0)
        {
            return null;
        }
        if (QueuePlace.Parse(value) is not { } place)
        {
            LogPlaceUnreadable(channelId, "malformed " + QueuePlace.Variable);
            return null;
        }
        if (place.Talk is { } talk)
        {
            dispatcher.TalkResumed(talk.AgentId);
        }
        return place;
    }

    public async Task<string?> ResumeAsync(CallHandler call, HandoverPlace place, CancellationToken ct)
    {
        var at = (QueuePlace)place;
        await dispatcher.Loaded;
        // The node as the live flow has it (its overflow), or as the place describes it when the flow changed meanwhile.
        var node = call.Flow.Definition.Nodes.GetValueOrDefault(at.NodeId) is { Kind: NodeKinds.Queue } known && known.Queue == at.Queue
            ? known
            : new FlowNode { Kind = NodeKinds.Queue, Queue = at.Queue, Priority = at.Priority };
        var queue = await dispatcher.QueueAsync(at.Queue, ct);
        if (at.Talk is { } talk)
        {
            return await ResumeTalkAsync(call, queue, at, talk, ct);
        }
        call.Step("queue.resumed", new { queue = at.Queue, priority = at.Priority, waitMs = (long)(time.GetUtcNow() - at.JoinedAt).TotalMilliseconds });
        if (queue is null)
        {
            await LeaveQueueAsync(call, HoldingBridgeId(call.ChannelId), ct);
            return await OverflowAsync(call, node, "unknown-queue", ct);
        }
        return await WaitAsync(call, node, queue, at, resumed: true, ct);
    }

    /// <summary>
    /// Waits in the queue at <paramref name="place"/> (its join time and priority order the caller among the others).
    /// A <paramref name="resumed"/> caller keeps the holding bridge the previous instance left and hears their position at once.
    /// </summary>
    private async Task<string?> WaitAsync(CallHandler call, FlowNode node, Queue queue, QueuePlace place, bool resumed, CancellationToken ct)
    {
        var priority = place.Priority;
        var entry = new CallerEntry(call, queue, priority, place.JoinedAt);
        var joined = await dispatcher.JoinAsync(entry);
        if (joined != JoinResult.Joined)
        {
            Record(entry, null, null);
            if (resumed)
            {
                await LeaveQueueAsync(call, HoldingBridgeId(call.ChannelId), ct);
            }
            return await OverflowAsync(call, node, joined == JoinResult.Full ? "queue-full" : "no-agents", ct);
        }
        var bridgeId = HoldingBridgeId(call.ChannelId);
        var outcome = "abandoned";
        try
        {
            if (!resumed)
            {
                // Written before the caller hears the music: whoever finds them waiting also finds their place.
                await Ari.Channels.SetVariableAsync(call.ChannelId, QueuePlace.Variable, place.Format(), ct).IgnoreNotFound();
            }
            if (!resumed || !await StillHeldAsync(bridgeId, call.ChannelId, ct))
            {
                await CreateBridgeAsync("holding", bridgeId, ct);
                await Ari.Bridges.AddChannelAsync(bridgeId, call.ChannelId, "participant", ct).IgnoreNotFound();
                await Ari.Bridges.StartMohAsync(bridgeId, null, ct);
            }
            // Playbacks of the announcement being heard: a channel queues playbacks, so one left playing would delay what comes next.
            IReadOnlyList<string> announcing = [];
            if (resumed)
            {
                announcing = await AnnounceAsync(entry, announcing, ct);
            }
            using var announce = time.CreateTimer(_ => call.Post(new QueueTick(entry, "announce")), null,
                TimeSpan.FromSeconds(options.Value.AnnounceEverySeconds), TimeSpan.FromSeconds(options.Value.AnnounceEverySeconds));
            var maxWaitLeft = place.JoinedAt + TimeSpan.FromSeconds(queue.MaxWaitSeconds) - time.GetUtcNow();
            using var maxWait = time.CreateTimer(_ => call.Post(new QueueTick(entry, "max-wait")), null,
                maxWaitLeft > TimeSpan.Zero ? maxWaitLeft : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            while (true)
            {
                var stimulus = await call.NextAsync(ct);
                switch (stimulus)
                {
                    case QueueOffer offer when offer.Entry == entry:
                        var agent = await RingAsync(entry, offer.Agents, ct);
                        if (agent is not null)
                        {
                            outcome = "answered";
                            await Ari.Bridges.DestroyAsync(bridgeId, ct).IgnoreNotFound();
                            return await TalkAsync(entry, place, agent.Value.Line, agent.Value.LegId, ct);
                        }
                        break;
                    case QueueTick { Kind: "announce" } tick when tick.Entry == entry:
                        announcing = await AnnounceAsync(entry, announcing, ct);
                        break;
                    case QueueTick { Kind: "max-wait" } tick when tick.Entry == entry:
                        outcome = "overflow";
                        dispatcher.Leave(entry);
                        Record(entry, null, null);
                        await LeaveQueueAsync(call, bridgeId, ct);
                        return await OverflowAsync(call, node, "max-wait", ct);
                    case AriStimulus { Message: ChannelDtmfReceived { Digit: "1" } dtmf } when dtmf.Channel.Id == call.ChannelId:
                        // Out of the queue while the caller chooses, so that no offer comes meanwhile; a callback keeps the place.
                        dispatcher.Leave(entry);
                        await StopAsync(announcing, ct);
                        if (await OfferCallbackAsync(entry, ct))
                        {
                            outcome = "callback";
                            Record(entry, null, null);
                            return null;
                        }
                        entry = new CallerEntry(call, queue, priority, entry.JoinedAt);
                        if (await dispatcher.JoinAsync(entry) != JoinResult.Joined)
                        {
                            outcome = "overflow";
                            Record(entry, null, null);
                            await LeaveQueueAsync(call, bridgeId, ct);
                            return await OverflowAsync(call, node, "no-agents", ct);
                        }
                        break;
                    case QueueEvicted evicted when evicted.Entry == entry:
                        outcome = "overflow";
                        Record(entry, null, null);
                        await LeaveQueueAsync(call, bridgeId, ct);
                        return await OverflowAsync(call, node, evicted.Reason, ct);
                }
            }
        }
        catch (OperationCanceledException) when (outcome == "abandoned" && call.IsLeftForNextInstance(ct))
        {
            // The service stops with the caller still waiting: the bridge and the place on the channel stay for the next instance.
            outcome = "left";
            call.Step("queue.left", new { queue = queue.Code, waitMs = WaitMs(entry) });
            throw;
        }
        finally
        {
            if (outcome == "abandoned")
            {
                dispatcher.Leave(entry, abandoned: true);
                call.Step("queue.abandoned", new { queue = queue.Code, waitMs = WaitMs(entry) });
                Record(entry, null, null);
            }
            if (outcome != "left")
            {
                await Ari.Bridges.DestroyAsync(bridgeId, CancellationToken.None).IgnoreNotFound();
            }
        }
    }

    /// <summary>Whether the holding bridge the previous instance left still holds the caller (then it is kept, music and all).</summary>
    private async Task<bool> StillHeldAsync(string bridgeId, string channelId, CancellationToken ct)
    {
        var bridge = await Ari.Bridges.GetAsync(bridgeId, ct).IgnoreNotFound();
        if (bridge is null)
        {
            return false;
        }
        if (bridge.Channels.Contains(channelId))
        {
            return true;
        }
        await Ari.Bridges.DestroyAsync(bridgeId, ct).IgnoreNotFound();
        return false;
    }

    /// <summary>
    /// Creates the caller's bridge under its derived id; one of that id left by a previous instance that nobody took back
    /// (it stopped before writing the caller's place) is replaced.
    /// </summary>
    private async Task CreateBridgeAsync(string type, string bridgeId, CancellationToken ct)
    {
        try
        {
            await Ari.Bridges.CreateAsync(type, bridgeId, bridgeId, ct);
        }
        catch (AriConflictException)
        {
            await Ari.Bridges.DestroyAsync(bridgeId, ct).IgnoreNotFound();
            await Ari.Bridges.CreateAsync(type, bridgeId, bridgeId, ct);
        }
    }

    /// <summary>Out of the queue for good (overflow): no longer in line, so a restart from now on does not bring the caller back.</summary>
    private async Task LeaveQueueAsync(CallHandler call, string bridgeId, CancellationToken ct)
    {
        await ForgetPlaceAsync(call);
        await Ari.Bridges.DestroyAsync(bridgeId, ct).IgnoreNotFound();
    }

    private async Task ForgetPlaceAsync(CallHandler call) =>
        await Ari.Channels.SetVariableAsync(call.ChannelId, QueuePlace.Variable, null, CancellationToken.None).IgnoreNotFound();

    /// <summary>
    /// "Press 1 to confirm your number, or type another followed by #": the request is stored with the caller's place
    /// (its time is when they joined) and the call ends with outcome callback. False when the caller let it go or the
    /// number was refused: they are back in the queue.
    /// </summary>
    private async Task<bool> OfferCallbackAsync(CallerEntry entry, CancellationToken ct)
    {
        var call = entry.Call;
        call.Step("queue.callback-offered");
        var digit = await call.PlayAsync(["callback-offer"], interruptible: true, ct) ?? await call.WaitForDigitAsync(TimeSpan.FromSeconds(10), ct);
        string? phone = digit == "1" ? call.Context.Caller : null;
        if (digit is not null && digit != "1")
        {
            var typed = digit == "#" ? "" : digit;
            while (await call.WaitForDigitAsync(TimeSpan.FromSeconds(5), ct) is { } next && next != "#")
            {
                typed += next;
            }
            phone = typed.Length > 0 ? typed : null;
        }
        if (phone is null)
        {
            call.Step("queue.callback-declined");
            return false;
        }
        try
        {
            var callId = await Ivr.Recorder.CallIdAsync(call.ChannelId, ct);
            var id = await callbacks.RequestAsync(new CallbackRequest(entry.Queue.DepartmentId, phone, null, callId, entry.JoinedAt, entry.Priority), ct);
            call.Step("queue.callback-requested", new { request = id, typed = digit != "1" });
            // The request keeps the place from now on: a restart must not put the caller back in the queue as well.
            await ForgetPlaceAsync(call);
            await call.PlayAsync(["callback-confirmed", "goodbye"], interruptible: false, ct);
            call.Finish(CallOutcomes.Callback, "callback-requested");
            return true;
        }
        catch (CallbackRefusedException e)
        {
            call.Step("queue.callback-refused", new { reason = e.Reason });
            await call.PlayAsync(["callback-refused"], interruptible: false, ct);
            return false;
        }
    }

    private long WaitMs(QueueEntry entry) => (long)(time.GetUtcNow() - entry.JoinedAt).TotalMilliseconds;

    private void Record(CallerEntry entry, long? agentId, long? talkMs) =>
        callLog.Record(new QueuedCall(entry.Call.ChannelId, entry.Queue.Id, entry.Queue.DepartmentId, agentId, WaitMs(entry), talkMs, entry.Priority > 0));

    /// <summary>
    /// Position and estimated wait, spoken over the music (the playback does not hold up the caller's events); an earlier
    /// announcement still playing is stopped first: the new one is fresher, and announcements never pile up on the channel
    /// when they take longer than Queues:AnnounceEverySeconds. Returns the new announcement's playbacks.
    /// </summary>
    private async Task<IReadOnlyList<string>> AnnounceAsync(CallerEntry entry, IReadOnlyList<string> previous, CancellationToken ct)
    {
        await StopAsync(previous, ct);
        if (await dispatcher.EstimateAsync(entry) is not { } estimate)
        {
            return [];
        }
        var minutes = (int)Math.Ceiling(estimate.EstimatedWaitSeconds / 60);
        entry.Call.Step("queue.announced", new { position = estimate.Position, estimatedWaitSeconds = Math.Round(estimate.EstimatedWaitSeconds), agents = estimate.AgentsAble });
        var language = entry.Call.Language;
        var playbacks = new List<string>(4);
        foreach (var media in new[]
        {
            prompts.Resolve("queue-position", language), $"number:{estimate.Position.ToString(CultureInfo.InvariantCulture)}",
            prompts.Resolve("queue-wait-minutes", language), $"number:{minutes.ToString(CultureInfo.InvariantCulture)}",
        })
        {
            var playbackId = Guid.NewGuid().ToString("N");
            await Ari.Channels.PlayAsync(entry.Call.ChannelId, media, language, playbackId, ct).IgnoreNotFound();
            playbacks.Add(playbackId);
        }
        return playbacks;
    }

    /// <summary>
    /// Stops playbacks that may still be queued or playing. Best effort: one that has just ended is answered 404, or 500
    /// while Asterisk is still finishing it (seen on 22.10.1); either way it no longer holds up the channel.
    /// </summary>
    private async Task StopAsync(IReadOnlyList<string> playbacks, CancellationToken ct)
    {
        foreach (var id in playbacks)
        {
            try
            {
                await Ari.Playbacks.StopAsync(id, ct);
            }
            catch (AriException)
            {
            }
        }
    }

    /// <summary>Rings the offered agents; the first to answer wins, the others are released. Null when nobody answered.</summary>
    private async Task<(AgentLine Line, string LegId)?> RingAsync(CallerEntry entry, IReadOnlyList<AgentLine> agents, CancellationToken ct)
    {
        var call = entry.Call;
        var legs = new Dictionary<string, AgentLine>(StringComparer.Ordinal);
        string? winner = null;
        try
        {
            foreach (var agent in agents)
            {
                var legId = Guid.NewGuid().ToString("N");
                Ivr.RegisterLeg(legId, call);
                try
                {
                    var channel = await Ari.Channels.OriginateAsync(new OriginateRequest
                    {
                        Endpoint = agent.Endpoint,
                        App = asterisk.AppName,
                        AppArgs = $"{IvrApp.TransferArg},{call.ChannelId}",
                        ChannelId = legId,
                        CallerId = call.Context.Caller,
                        Timeout = TimeSpan.FromSeconds(options.Value.RingTimeoutSeconds),
                    }, ct);
                    if (channel.Id != legId)
                    {
                        Ivr.ReleaseLeg(legId);
                        legId = channel.Id;
                        Ivr.RegisterLeg(legId, call);
                    }
                    legs[legId] = agent;
                    call.Step("queue.ringing", new { agent = agent.AgentId });
                }
                catch (AriException e)
                {
                    Ivr.ReleaseLeg(legId);
                    LogOriginateFailed(agent.AgentId, e.Message);
                    dispatcher.RingEnded(entry, agent.AgentId, RingOutcome.Missed);
                }
            }
            var ringAll = agents.Count > 1;
            while (legs.Count > 0)
            {
                var stimulus = await call.NextAsync(ct);
                if (stimulus is AriStimulus { Message: StasisStart start } && legs.TryGetValue(start.Channel.Id, out var answered))
                {
                    winner = start.Channel.Id;
                    dispatcher.RingEnded(entry, answered.AgentId, RingOutcome.Answered);
                    return (answered, winner);
                }
                if (stimulus is AriStimulus { Message: ChannelDestroyed or StasisEnd } gone && legs.Remove(AriEventLanes.KeyOf(gone.Message), out var missed))
                {
                    Ivr.ReleaseLeg(AriEventLanes.KeyOf(gone.Message));
                    call.Step("queue.missed", new { agent = missed.AgentId });
                    dispatcher.RingEnded(entry, missed.AgentId, ringAll ? RingOutcome.Released : RingOutcome.Missed);
                }
            }
            return null;
        }
        finally
        {
            foreach (var (legId, agent) in legs.Where(l => l.Key != winner))
            {
                Ivr.ReleaseLeg(legId);
                await Ari.Channels.HangupAsync(legId, null, CancellationToken.None).IgnoreNotFound();
                dispatcher.RingEnded(entry, agent.AgentId, RingOutcome.Released);
            }
        }
    }

    /// <summary>Caller and agent in a mixing bridge until either hangs up; the call is answered whoever ends it.</summary>
    private async Task<string?> TalkAsync(CallerEntry entry, QueuePlace place, AgentLine agent, string legId, CancellationToken ct)
    {
        var call = entry.Call;
        var answeredAt = time.GetUtcNow();
        var waitMs = WaitMs(entry);
        var bridgeId = AgentBridgeId(call.ChannelId);
        call.Finish(CallOutcomes.Answered, "caller-hangup");
        var talk = new Conversation(call, entry.Queue, entry.Priority, agent.AgentId, legId, bridgeId, answeredAt, waitMs);
        return await HoldAsync(talk, async () =>
        {
            await CreateBridgeAsync("mixing", bridgeId, ct);
            // Written before the bridging: an instance that stops in between leaves a place the next one completes.
            await Ari.Channels.SetVariableAsync(call.ChannelId, QueuePlace.Variable,
                (place with { Talk = new QueueTalk(agent.AgentId, legId, answeredAt) }).Format(), ct).IgnoreNotFound();
            call.Step("queue.answered", new { agent = agent.AgentId, waitMs });
            AriException? failed = null;
            try
            {
                await Ari.Bridges.AddChannelsAsync(bridgeId, [call.ChannelId, legId], null, ct);
            }
            catch (AriException e)
            {
                failed = e;
            }
            if (failed is not null)
            {
                if (!await ChannelExistsAsync(legId))
                {
                    // The agent hung up right after answering.
                    call.Finish(CallOutcomes.Answered, "agent-hangup");
                    return null;
                }
                if (!await ChannelExistsAsync(call.ChannelId))
                {
                    throw new CallerHungUpException("The caller hung up as the agent answered.");
                }
                throw failed;
            }
            await Recordings.StartAsync(call, agent.AgentId, ct);
            return await ConverseAsync(talk, ct);
        }, ct);
    }

    /// <summary>
    /// A caller who was talking to an agent when the previous instance stopped: the conversation goes on untouched in its
    /// mixing bridge, the agent counts as on a call, and when either hangs up the call is closed as answered with the
    /// wait from the original join and the talk time from the original answer.
    /// </summary>
    private async Task<string?> ResumeTalkAsync(CallHandler call, Queue? queue, QueuePlace place, QueueTalk at, CancellationToken ct)
    {
        var bridgeId = AgentBridgeId(call.ChannelId);
        var waitMs = (long)(at.AnsweredAt - place.JoinedAt).TotalMilliseconds;
        call.Finish(CallOutcomes.Answered, "caller-hangup");
        // Registered before looking, so that a hangup of the agent from now on reaches this call.
        Ivr.RegisterLeg(at.LegId, call);
        var talk = new Conversation(call, queue, place.Priority, at.AgentId, at.LegId, bridgeId, at.AnsweredAt, waitMs);
        return await HoldAsync(talk, async () =>
        {
            call.Step("queue.resumed", new { queue = place.Queue, agent = at.AgentId, waitMs, talking = true });
            if (!await ChannelExistsAsync(at.LegId))
            {
                // The agent hung up while no instance was running.
                call.Finish(CallOutcomes.Answered, "agent-hangup");
                return null;
            }
            var bridge = await Ari.Bridges.GetAsync(bridgeId, ct).IgnoreNotFound();
            string[] missing = [.. new[] { call.ChannelId, at.LegId }.Where(id => bridge?.Channels.Contains(id) != true)];
            if (missing.Length > 0)
            {
                // The previous instance stopped between the answer and the bridging: this one completes it.
                if (bridge is null)
                {
                    await CreateBridgeAsync("mixing", bridgeId, ct);
                }
                await Ari.Bridges.AddChannelsAsync(bridgeId, missing, null, ct);
            }
            return await ConverseAsync(talk, ct);
        }, ct);
    }

    /// <summary>
    /// Runs a conversation and ends it (agent leg, bridge, wrap-up) whatever happens, except when the service stops and
    /// leaves the call to the next instance: then caller and agent go on talking untouched.
    /// </summary>
    private async Task<string?> HoldAsync(Conversation talk, Func<Task<string?>> converse, CancellationToken ct)
    {
        var left = false;
        try
        {
            return await converse();
        }
        catch (OperationCanceledException) when (talk.Call.IsLeftForNextInstance(ct))
        {
            left = true;
            throw;
        }
        finally
        {
            if (!left)
            {
                await EndConversationAsync(talk);
            }
        }
    }

    /// <summary>Caller and agent talking, until the agent's leg goes (the caller's hangup ends the wait by itself).</summary>
    private static async Task<string?> ConverseAsync(Conversation talk, CancellationToken ct)
    {
        while (true)
        {
            var stimulus = await talk.Call.NextAsync(ct);
            if (stimulus is AriStimulus { Message: StasisEnd or ChannelDestroyed or ChannelHangupRequest } leg && AriEventLanes.KeyOf(leg.Message) == talk.LegId)
            {
                talk.Call.Finish(CallOutcomes.Answered, "agent-hangup");
                return null;
            }
        }
    }

    /// <summary>The talk is over: queue columns stored, the agent to wrap-up, the leg hung up and the bridge gone.</summary>
    private async Task EndConversationAsync(Conversation talk)
    {
        var call = talk.Call;
        var duration = time.GetUtcNow() - talk.AnsweredAt;
        call.Step("queue.talk-ended", new { agent = talk.AgentId, talkMs = (long)duration.TotalMilliseconds });
        if (talk.Queue is { } queue)
        {
            callLog.Record(new QueuedCall(call.ChannelId, queue.Id, queue.DepartmentId, talk.AgentId, talk.WaitMs, (long)duration.TotalMilliseconds, talk.Priority > 0));
        }
        dispatcher.TalkEnded(talk.AgentId, talk.Queue?.Id ?? 0, duration);
        Ivr.ReleaseLeg(talk.LegId);
        await Recordings.StopAsync(call);
        await Ari.Channels.HangupAsync(talk.LegId, null, CancellationToken.None).IgnoreNotFound();
        await Ari.Bridges.DestroyAsync(talk.BridgeId, CancellationToken.None).IgnoreNotFound();
    }

    private sealed record Conversation(
        CallHandler Call, Queue? Queue, int Priority, long AgentId, string LegId, string BridgeId, DateTimeOffset AnsweredAt, long WaitMs);

    private async Task<bool> ChannelExistsAsync(string channelId) =>
        await Ari.Channels.GetAsync(channelId, CancellationToken.None).IgnoreNotFound() is not null;

    /// <summary>Max wait, max length or nobody to serve the queue: voicemail when it exists, else a message.</summary>
    private async Task<string?> OverflowAsync(CallHandler call, FlowNode node, string reason, CancellationToken ct)
    {
        call.Step("queue.overflow", new { queue = node.Queue, reason });
        if (options.Value.OverflowToVoicemail && services.GetKeyedService<ICallHandover>("voicemail") is { } voicemail)
        {
            return await voicemail.HandOverAsync(call, node, ct);
        }
        await call.PlayAsync(["queue-unavailable", "goodbye"], interruptible: false, ct);
        call.Step("queue.unavailable", new { queue = node.Queue, reason });
        call.Finish(CallOutcomes.Failed, "queue-unavailable");
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ringing agent {AgentId} failed: {Error}")]
    private partial void LogOriginateFailed(long agentId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {ChannelId}: its queue place could not be read ({Error}); it goes to the fallback")]
    private partial void LogPlaceUnreadable(string channelId, string error);
}

/// <summary>
/// A caller's place in a queue, kept on the channel itself (channel variable <see cref="Variable"/>): Asterisk keeps the
/// channel, its bridges and its variables while no instance of the service runs, so the next instance reads the place back
/// and re-adopts the caller where they were. Written on joining, rewritten with <see cref="Talk"/> when an agent answers,
/// removed when the caller leaves the queue any other way (overflow, callback). The value is comma-separated
/// (queue, priority, joined unix ms, node, language[, agent id, agent leg, answered unix ms]), each field URI-escaped.
/// </summary>
public sealed record QueuePlace(string NodeId, string Language, string Queue, int Priority, DateTimeOffset JoinedAt, QueueTalk? Talk)
    : HandoverPlace(NodeId, Language)
{
    public const string Variable = "CITYCONTACT_QUEUE";

    public string Format()
    {
        string[] fields = [Queue, Number(Priority), Number(JoinedAt.ToUnixTimeMilliseconds()), NodeId, Language];
        if (Talk is { } talk)
        {
            fields = [.. fields, Number(talk.AgentId), talk.LegId, Number(talk.AnsweredAt.ToUnixTimeMilliseconds())];
        }
        return string.Join(',', fields.Select(Uri.EscapeDataString));
    }

    /// <summary>The place, or null when the value is not one this format wrote.</summary>
    public static QueuePlace? Parse(string value)
    {
        var fields = value.Split(',').Select(Uri.UnescapeDataString).ToArray();
        if (fields.Length is not (5 or 8) || fields[0].Length == 0
            || !int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var priority)
            || !long.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var joined))
        {
            return null;
        }
        QueueTalk? talk = null;
        if (fields.Length == 8)
        {
            if (!long.TryParse(fields[5], NumberStyles.Integer, CultureInfo.InvariantCulture, out var agent) || fields[6].Length == 0
                || !long.TryParse(fields[7], NumberStyles.Integer, CultureInfo.InvariantCulture, out var answered))
            {
                return null;
            }
            talk = new QueueTalk(agent, fields[6], DateTimeOffset.FromUnixTimeMilliseconds(answered));
        }
        return new QueuePlace(fields[3], fields[4], fields[0], priority, DateTimeOffset.FromUnixTimeMilliseconds(joined), talk);
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The agent a queued caller was talking to: who, the agent's leg, and when they answered.</summary>
public sealed record QueueTalk(long AgentId, string LegId, DateTimeOffset AnsweredAt);
