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
/// </summary>
public sealed partial class QueueHandover(
    QueueDispatcher dispatcher, ICallbackScheduler callbacks, AsteriskConnection asterisk, QueueCallLog callLog, PromptCatalog prompts, IOptions<QueueOptions> options,
    TimeProvider time, IServiceProvider services, ILogger<QueueHandover> logger) : ICallHandover
{
    private AriRestClient Ari => asterisk.Ari.Rest;

    // The IVR app owns the routing of the agent legs' events; resolved late because it depends on this handover.
    private IvrApp Ivr => services.GetRequiredService<IvrApp>();

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
        var entry = new CallerEntry(call, queue, priority, time.GetUtcNow());
        var joined = await dispatcher.JoinAsync(entry);
        if (joined != JoinResult.Joined)
        {
            Record(entry, null, null);
            return await OverflowAsync(call, node, joined == JoinResult.Full ? "queue-full" : "no-agents", ct);
        }
        var bridge = await Ari.Bridges.CreateAsync("holding", Guid.NewGuid().ToString("N"), $"queue-{call.ChannelId}", ct);
        var outcome = "abandoned";
        try
        {
            await Ari.Bridges.AddChannelAsync(bridge.Id, call.ChannelId, "participant", ct).IgnoreNotFound();
            await Ari.Bridges.StartMohAsync(bridge.Id, null, ct);
            using var announce = time.CreateTimer(_ => call.Post(new QueueTick(entry, "announce")), null,
                TimeSpan.FromSeconds(options.Value.AnnounceEverySeconds), TimeSpan.FromSeconds(options.Value.AnnounceEverySeconds));
            using var maxWait = time.CreateTimer(_ => call.Post(new QueueTick(entry, "max-wait")), null,
                TimeSpan.FromSeconds(queue.MaxWaitSeconds), Timeout.InfiniteTimeSpan);
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
                            await Ari.Bridges.DestroyAsync(bridge.Id, ct).IgnoreNotFound();
                            return await TalkAsync(entry, agent.Value.Line, agent.Value.LegId, ct);
                        }
                        break;
                    case QueueTick { Kind: "announce" } tick when tick.Entry == entry:
                        await AnnounceAsync(entry, ct);
                        break;
                    case QueueTick { Kind: "max-wait" } tick when tick.Entry == entry:
                        outcome = "overflow";
                        dispatcher.Leave(entry);
                        Record(entry, null, null);
                        await Ari.Bridges.DestroyAsync(bridge.Id, ct).IgnoreNotFound();
                        return await OverflowAsync(call, node, "max-wait", ct);
                    case AriStimulus { Message: ChannelDtmfReceived { Digit: "1" } dtmf } when dtmf.Channel.Id == call.ChannelId:
                        // Out of the queue while the caller chooses, so that no offer comes meanwhile; a callback keeps the place.
                        dispatcher.Leave(entry);
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
                            return await OverflowAsync(call, node, "no-agents", ct);
                        }
                        break;
                    case QueueEvicted evicted when evicted.Entry == entry:
                        outcome = "overflow";
                        Record(entry, null, null);
                        await Ari.Bridges.DestroyAsync(bridge.Id, ct).IgnoreNotFound();
                        return await OverflowAsync(call, node, evicted.Reason, ct);
                }
            }
        }
        finally
        {
            if (outcome == "abandoned")
            {
                dispatcher.Leave(entry);
                call.Step("queue.abandoned", new { queue = queue.Code, waitMs = WaitMs(entry) });
                Record(entry, null, null);
            }
            await Ari.Bridges.DestroyAsync(bridge.Id, CancellationToken.None).IgnoreNotFound();
        }
    }

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
            var id = await callbacks.RequestAsync(new CallbackRequest(entry.Queue.DepartmentId, phone, null, null, entry.JoinedAt, entry.Priority), ct);
            call.Step("queue.callback-requested", new { request = id, typed = digit != "1" });
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

    /// <summary>Position and estimated wait, spoken over the music (the playback does not hold up the caller's events).</summary>
    private async Task AnnounceAsync(CallerEntry entry, CancellationToken ct)
    {
        if (await dispatcher.EstimateAsync(entry) is not { } estimate)
        {
            return;
        }
        var minutes = (int)Math.Ceiling(estimate.EstimatedWaitSeconds / 60);
        entry.Call.Step("queue.announced", new { position = estimate.Position, estimatedWaitSeconds = Math.Round(estimate.EstimatedWaitSeconds), agents = estimate.AgentsAble });
        var language = entry.Call.Language;
        foreach (var media in new[]
        {
            prompts.Resolve("queue-position", language), $"number:{estimate.Position.ToString(CultureInfo.InvariantCulture)}",
            prompts.Resolve("queue-wait-minutes", language), $"number:{minutes.ToString(CultureInfo.InvariantCulture)}",
        })
        {
            await Ari.Channels.PlayAsync(entry.Call.ChannelId, media, language, null, ct).IgnoreNotFound();
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
    private async Task<string?> TalkAsync(CallerEntry entry, AgentLine agent, string legId, CancellationToken ct)
    {
        var call = entry.Call;
        var answeredAt = time.GetUtcNow();
        var waitMs = WaitMs(entry);
        var bridge = await Ari.Bridges.CreateAsync("mixing", Guid.NewGuid().ToString("N"), $"agent-{call.ChannelId}", ct);
        call.Finish(CallOutcomes.Answered, "caller-hangup");
        try
        {
            call.Step("queue.answered", new { agent = agent.AgentId, waitMs });
            AriException? failed = null;
            try
            {
                await Ari.Bridges.AddChannelsAsync(bridge.Id, [call.ChannelId, legId], null, ct);
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
            while (true)
            {
                var stimulus = await call.NextAsync(ct);
                if (stimulus is AriStimulus { Message: StasisEnd or ChannelDestroyed or ChannelHangupRequest } leg && AriEventLanes.KeyOf(leg.Message) == legId)
                {
                    call.Finish(CallOutcomes.Answered, "agent-hangup");
                    return null;
                }
            }
        }
        finally
        {
            var talk = time.GetUtcNow() - answeredAt;
            call.Step("queue.talk-ended", new { agent = agent.AgentId, talkMs = (long)talk.TotalMilliseconds });
            callLog.Record(new QueuedCall(call.ChannelId, entry.Queue.Id, entry.Queue.DepartmentId, agent.AgentId, waitMs, (long)talk.TotalMilliseconds, entry.Priority > 0));
            dispatcher.TalkEnded(agent.AgentId, entry.Queue.Id, talk);
            Ivr.ReleaseLeg(legId);
            await Ari.Channels.HangupAsync(legId, null, CancellationToken.None).IgnoreNotFound();
            await Ari.Bridges.DestroyAsync(bridge.Id, CancellationToken.None).IgnoreNotFound();
        }
    }

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
}
