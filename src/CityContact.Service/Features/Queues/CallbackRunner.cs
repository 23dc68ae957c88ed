using System.Collections.Concurrent;
using System.Globalization;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using CityContact.Telephony.Ari.Rest;

namespace CityContact.Service.Features.Queues;

/// <summary>A callback request waiting in its department's queue; offers arrive in the runner's inbox for it.</summary>
public sealed class CallbackEntry(StoredCallback request, Queue queue, DateTimeOffset joinedAt) : QueueEntry(queue, request.Priority, joinedAt)
{
    public StoredCallback Request { get; } = request;

    internal System.Threading.Channels.Channel<Stimulus> Inbox { get; } = System.Threading.Channels.Channel.CreateUnbounded<Stimulus>();

    internal override void Deliver(Stimulus stimulus) => Inbox.Writer.TryWrite(stimulus);
}

/// <summary>
/// Runs the callbacks this instance claimed. Each request has a Quartz trigger (<see cref="CallbackTriggers"/>); when it
/// fires, <see cref="FireAsync"/> claims the request (pending → dialing, the conditional UPDATE is the exactly-once
/// guard) under a lease this runner renews while the callback is in flight. The request then waits in its department's
/// queue like a caller; the agent who answers hears the voicemail message (or a summary for a queue callback) and only
/// then is the citizen dialled, and both are bridged. The outcome (reached, no answer, busy, failed) is stored, the next
/// try scheduled as a trigger at the retry time, and noted in the ticket's history.
/// <para>
/// Restarts: a clean stop gives back every request whose citizen was not dialled yet, without counting an attempt, and
/// fires it again at once (on another instance, or on the next start). A crash leaves a 'dialing' row: its trigger,
/// kept at the lease's end while the attempt runs, fires on whichever instance is up and takes the row over once the
/// lease has run out (the rule is in sql/0041_callback_leases.sql). On start the runner gives every open request
/// without a trigger one, so a lost trigger delays a callback but never drops it.
/// </para>
/// </summary>
public sealed partial class CallbackRunner(
    CallbackStore store, CallbackTriggers triggers, QueueDispatcher dispatcher, AsteriskConnection asterisk, TicketService tickets,
    CallRecorder recorder, QueueCallLog callLog, PromptCatalog prompts, IOptions<QueueOptions> options, TimeProvider time, ILogger<CallbackRunner> logger) : BackgroundService, IStasisListener
{
    public const string CallbackArg = "callback";

    /// <summary>The summary an agent hears before a queue callback's citizen is dialled.</summary>
    public const string SummaryPrompt = "callback-summary";

    /// <summary>What an agent hears after a voicemail callback's message, before the citizen is dialled.</summary>
    public const string ConnectingPrompt = "callback-connecting";

    private const string Interrupted = "interrupted";

    /// <summary>The queue sent the request on (full, or nobody logged in to a leave-when-empty queue): not the citizen's attempt.</summary>
    private const string JoinRefused = "no-agent";

    private readonly ConcurrentDictionary<string, CallbackEntry> _legs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Task> _running = new();
    // Never disposed: the host may dispose this singleton before a late StopAsync, and a source without a timer holds nothing.
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _instance = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    private TimeSpan Lease => TimeSpan.FromSeconds(options.Value.CallbackLeaseSeconds);

    public void Handle(AriMessage message)
    {
        if (_legs.TryGetValue(AriEventLanes.KeyOf(message), out var entry))
        {
            entry.Deliver(new AriStimulus(message));
        }
    }

    /// <summary>The request's trigger fired: claim and start it, or schedule the next look at it.</summary>
    public async Task FireAsync(long id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_stopping.IsCancellationRequested)
        {
            // This instance is going away: the next one (or another of the cluster) takes the request.
            await triggers.ScheduleAsync(id, now.AddSeconds(1), ct);
            return;
        }
        if (_running.ContainsKey(id))
        {
            await triggers.ScheduleAsync(id, now + Lease, ct);
            return;
        }
        // The watch first, before the claim: whatever happens to this instance from here, the request keeps a trigger
        // (at the lease's end it takes an attempt over from a dead instance; a claim that finds nothing replaces it).
        await triggers.ScheduleAsync(id, now + Lease, ct);
        if (await store.ClaimAsync(id, now, _instance, Lease, ct) is not { } claim)
        {
            await NotClaimedAsync(id, ct);
            return;
        }
        if (claim.TakenOver is { } dead)
        {
            LogTakenOver(id, dead.ClaimedBy, dead.CitizenChannel is not null, dead.CitizenAnswered);
            if (dead.CitizenAnswered)
            {
                // Agent and citizen may still be talking: their call is left to end.
                await FinishAsync(claim.Request, CallbackStates.Reached, ct);
                return;
            }
            // Legs the dead instance left: an agent on a call nobody runs, a citizen whose answer would meet nobody.
            foreach (var leg in new[] { dead.AgentChannel, dead.CitizenChannel }.OfType<string>())
            {
                await asterisk.Ari.Rest.Channels.HangupAsync(leg, null, ct).IgnoreNotFound();
            }
            if (dead.CitizenChannel is not null)
            {
                await FinishAsync(claim.Request, CallbackStates.NoAnswer, ct);
                return;
            }
        }
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running[id] = Task.Run(async () =>
        {
            await go.Task;
            await RunAsync(claim.Request, _stopping.Token);
        }, CancellationToken.None);
        go.SetResult();
    }

    private async Task NotClaimedAsync(long id, CancellationToken ct)
    {
        switch (await store.WhyNotClaimedAsync(id, ct))
        {
            case { State: CallbackStates.Pending, NotBefore: var notBefore }:
                await triggers.ScheduleAsync(id, new DateTimeOffset(DateTime.SpecifyKind(notBefore, DateTimeKind.Utc)), ct);
                break;
            case { State: CallbackStates.Dialing }:
                // Another instance holds a live lease: the watch set above looks again when it could have run out.
                break;
            default:
                await triggers.RemoveAsync(id, ct);
                break;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await SweepAsync(stoppingToken);
        // The heartbeat of this instance's claims: a lease that stops being renewed is how other instances learn it died.
        using var heartbeat = new PeriodicTimer(Lease / 3, time);
        while (await heartbeat.WaitForNextTickAsync(stoppingToken))
        {
            if (_running.IsEmpty)
            {
                continue;
            }
            try
            {
                await store.RenewLeasesAsync(_instance, Lease, stoppingToken);
            }
            catch (Npgsql.NpgsqlException e)
            {
                LogRenewFailed(e.Message);
            }
        }
    }

    /// <summary>Every open request without a trigger gets one (a trigger lost, or a request stored while Quartz could not take it).</summary>
    private async Task SweepAsync(CancellationToken ct)
    {
        try
        {
            var scheduled = 0;
            foreach (var open in await store.OpenAsync(ct))
            {
                if (await triggers.NextFireAsync(open.Id, ct) is not null)
                {
                    continue;
                }
                var at = open.State == CallbackStates.Pending ? new DateTimeOffset(DateTime.SpecifyKind(open.NotBefore, DateTimeKind.Utc)) : time.GetUtcNow();
                await triggers.ScheduleAsync(open.Id, at, ct);
                scheduled++;
            }
            if (scheduled > 0)
            {
                LogSwept(scheduled);
            }
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or Quartz.SchedulerException)
        {
            LogSweepFailed(e);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_running.Values).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Agent and citizen still talking: their rows stay 'dialing' with the answer stored, so a takeover ends them reached.
            LogStoppedWhileTalking(_running.Count);
        }
        await base.StopAsync(cancellationToken);
    }

    private async Task RunAsync(StoredCallback request, CancellationToken ct)
    {
        var outcome = CallbackStates.Failed;
        try
        {
            await dispatcher.Loaded.WaitAsync(ct);
            outcome = await DialAsync(request, ct);
        }
        catch (Exception e) when (e is AriException or HttpRequestException or Npgsql.NpgsqlException)
        {
            LogCallbackFailed(e, request.Id);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            outcome = Interrupted;
        }
        finally
        {
            try
            {
                if (outcome is Interrupted or JoinRefused)
                {
                    await ReleaseAsync(request, outcome, CancellationToken.None);
                }
                else
                {
                    await FinishAsync(request, outcome, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or Quartz.SchedulerException)
            {
                // The lease runs out and the trigger already set at its end takes the request over.
                LogCallbackFailed(e, request.Id);
            }
            _running.TryRemove(request.Id, out _);
        }
    }

    /// <summary>
    /// Gives the request back without counting an attempt: stopping (fire again at once, for the next instance), or
    /// nobody to take callbacks in the department (try again after the retry interval).
    /// </summary>
    private async Task ReleaseAsync(StoredCallback request, string reason, CancellationToken ct)
    {
        var at = reason == Interrupted ? time.GetUtcNow() : time.GetUtcNow().AddMinutes(options.Value.CallbackRetryMinutes);
        if (await store.ReleaseAsync(request.Id, _instance, reason, at, ct))
        {
            await triggers.ScheduleAsync(request.Id, at, ct);
            LogReleased(request.Id, reason);
            return;
        }
        // The citizen was dialled already: the attempt is over and counts.
        await FinishAsync(request, CallbackStates.Failed, ct);
    }

    private async Task FinishAsync(StoredCallback request, string outcome, CancellationToken ct)
    {
        var retryAt = time.GetUtcNow().AddMinutes(options.Value.CallbackRetryMinutes);
        var state = await store.FinishAttemptAsync(request.Id, _instance, outcome, retryAt, ct);
        if (state is null)
        {
            return;
        }
        if (state == CallbackStates.Pending)
        {
            await triggers.ScheduleAsync(request.Id, retryAt, ct);
        }
        else
        {
            await triggers.RemoveAsync(request.Id, ct);
        }
        LogFinished(request.Id, outcome, state);
        if (request.TicketId is { } ticketId)
        {
            var attempt = (await store.GetAsync(request.Id, ct))?.Attempts ?? request.Attempts;
            await tickets.AddNoteAsync(ticketId, $"Callback attempt {attempt.ToString(CultureInfo.InvariantCulture)}: {outcome}",
                QueueCallbackScheduler.Actor, ct);
        }
    }

    private async Task<string> DialAsync(StoredCallback request, CancellationToken ct)
    {
        var queue = await dispatcher.QueueOfDepartmentAsync(request.DepartmentId, ct);
        if (queue is null)
        {
            return CallbackStates.Failed;
        }
        var now = time.GetUtcNow();
        var notBefore = new DateTimeOffset(DateTime.SpecifyKind(request.NotBefore, DateTimeKind.Utc));
        var entry = new CallbackEntry(request, queue, notBefore < now ? notBefore : now);
        if (await dispatcher.JoinAsync(entry) != JoinResult.Joined)
        {
            return JoinRefused;
        }
        var ari = asterisk.Ari.Rest;
        try
        {
            if (await AgentAsync(entry, ct) is not var (agentLeg, agent))
            {
                return JoinRefused;
            }
            var started = time.GetUtcNow();
            try
            {
                if (!await BriefAgentAsync(entry, agentLeg, ct))
                {
                    return CallbackStates.Failed;
                }
                var endpoint = string.Format(CultureInfo.InvariantCulture, options.Value.CallbackEndpoint, request.Phone);
                var citizen = NewLeg(entry);
                if (!await store.CitizenDialledAsync(request.Id, _instance, citizen, ct))
                {
                    // The lease was lost (this instance stalled longer than the lease) and another took the request over.
                    return CallbackStates.Failed;
                }
                OpenCallRow(entry, citizen, agent, started);
                DateTimeOffset? answeredAt = null;
                var attempt = CallbackStates.Failed;
                string? hungUpBy = null;
                try
                {
                    await OriginateAsync(entry, citizen, endpoint, "citizen", options.Value.CallbackRingSeconds, CancellationToken.None);
                    bool answered;
                    try
                    {
                        (answered, attempt) = await CitizenAnswersAsync(entry, citizen, agentLeg, ct);
                    }
                    catch (OperationCanceledException)
                    {
                        // Stopping while the citizen's phone rings: the attempt counts (they were dialled), the ringing stops.
                        await ari.Channels.HangupAsync(citizen, null, CancellationToken.None).IgnoreNotFound();
                        throw;
                    }
                    if (!answered)
                    {
                        await ari.Channels.HangupAsync(citizen, null, CancellationToken.None).IgnoreNotFound();
                        return attempt;
                    }
                    answeredAt = time.GetUtcNow();
                    recorder.Step(citizen, answeredAt.Value, "callback.citizen-answered");
                    await store.CitizenAnsweredAsync(request.Id, _instance, CancellationToken.None);
                    var bridge = await ari.Bridges.CreateAsync("mixing", Guid.NewGuid().ToString("N"), $"callback-{request.Id}", CancellationToken.None);
                    try
                    {
                        await ari.Bridges.AddChannelsAsync(bridge.Id, [agentLeg, citizen], null, CancellationToken.None);
                        // Once the two talk, a stopping service leaves them be: the call ends when one of them hangs up.
                        hungUpBy = await HungUpByAsync(entry, citizen);
                    }
                    finally
                    {
                        await ari.Channels.HangupAsync(citizen, null, CancellationToken.None).IgnoreNotFound();
                        await ari.Bridges.DestroyAsync(bridge.Id, CancellationToken.None).IgnoreNotFound();
                    }
                    return CallbackStates.Reached;
                }
                finally
                {
                    CloseCallRow(entry, citizen, agent, started, answeredAt, answeredAt is null ? HangupCauseOf(attempt) : hungUpBy ?? CallbackStates.Failed);
                }
            }
            finally
            {
                await ari.Channels.HangupAsync(agentLeg, null, CancellationToken.None).IgnoreNotFound();
                dispatcher.TalkEnded(agent.AgentId, queue.Id, time.GetUtcNow() - started);
            }
        }
        finally
        {
            dispatcher.Leave(entry);
            foreach (var leg in _legs.Where(l => l.Value == entry).Select(l => l.Key).ToList())
            {
                _legs.TryRemove(leg, out _);
            }
        }
    }

    /// <summary>Waits for an offer and rings the agent, round again when they do not answer; null when the queue sends the request on.</summary>
    private async Task<(string Leg, AgentLine Agent)?> AgentAsync(CallbackEntry entry, CancellationToken ct)
    {
        while (true)
        {
            switch (await entry.Inbox.Reader.ReadAsync(ct))
            {
                case QueueEvicted:
                    return null;
                case QueueOffer { Agents: [var offered, ..] } offer:
                    // A ring-all offer: one agent is enough to take a callback, the others are freed at once.
                    foreach (var other in offer.Agents.Skip(1))
                    {
                        dispatcher.RingEnded(entry, other.AgentId, RingOutcome.Released);
                    }
                    var leg = NewLeg(entry);
                    bool answered;
                    try
                    {
                        await store.AgentRungAsync(entry.Request.Id, _instance, leg, ct);
                        await OriginateAsync(entry, leg, offered.Endpoint, "agent", options.Value.RingTimeoutSeconds, ct);
                        answered = await AnsweredAsync(entry, leg, ct);
                    }
                    catch (OperationCanceledException)
                    {
                        await asterisk.Ari.Rest.Channels.HangupAsync(leg, null, CancellationToken.None).IgnoreNotFound();
                        dispatcher.RingEnded(entry, offered.AgentId, RingOutcome.Released);
                        throw;
                    }
                    if (answered)
                    {
                        dispatcher.RingEnded(entry, offered.AgentId, RingOutcome.Answered);
                        return (leg, offered);
                    }
                    dispatcher.RingEnded(entry, offered.AgentId, RingOutcome.Missed);
                    break;
            }
        }
    }

    /// <summary>
    /// The agent hears the ticket's voicemail message then "connecting you", or the summary of a queue callback; false
    /// when they hang up meanwhile.
    /// </summary>
    private async Task<bool> BriefAgentAsync(CallbackEntry entry, string agentLeg, CancellationToken ct)
    {
        var language = prompts.FallbackLanguage;
        string[] media = entry.Request.RecordingRef is { } recording
            ? [$"recording:{recording}", prompts.Resolve(ConnectingPrompt, language)]
            : [prompts.Resolve(SummaryPrompt, language)];
        var playbackId = Guid.NewGuid().ToString("N");
        await asterisk.Ari.Rest.Channels.PlayWithIdAsync(agentLeg, playbackId, string.Join(',', media), language, ct);
        while (true)
        {
            switch (await entry.Inbox.Reader.ReadAsync(ct))
            {
                case AriStimulus { Message: PlaybackFinished finished } when finished.Playback.Id == playbackId:
                    return true;
                case AriStimulus { Message: StasisEnd or ChannelDestroyed or ChannelHangupRequest } gone when AriEventLanes.KeyOf(gone.Message) == agentLeg:
                    return false;
            }
        }
    }

    /// <summary>
    /// Opens the outbound row of the citizen's leg. The caller is the agent's endpoint: the city has no single number
    /// of its own in configuration (several numbers reach the IVR, and the callback's originate sets no caller id), and
    /// the agent is who actually places the call. The dialled number is the citizen's, stored as inbound callers are.
    /// </summary>
    private void OpenCallRow(CallbackEntry entry, string citizen, AgentLine agent, DateTimeOffset agentAnsweredAt)
    {
        var dialledAt = time.GetUtcNow();
        recorder.Record(new CallOpened(citizen, agent.Endpoint, entry.Request.Phone, prompts.FallbackLanguage, dialledAt, null, CallDirections.Outbound));
        recorder.Step(citizen, agentAnsweredAt, "callback.agent-answered", new { requestId = entry.Request.Id, agentId = agent.AgentId });
        recorder.Step(citizen, dialledAt, "callback.citizen-dialled");
    }

    /// <summary>
    /// Closes the row: answered with the talk time when the citizen picked up, else failed with the attempt's cause; the
    /// queue's columns carry the department, queue and agent, and how long the request waited for that agent.
    /// </summary>
    private void CloseCallRow(CallbackEntry entry, string citizen, AgentLine agent, DateTimeOffset agentAnsweredAt, DateTimeOffset? answeredAt, string cause)
    {
        var endedAt = time.GetUtcNow();
        recorder.Record(new CallClosed(citizen, Guid.CreateVersion7(endedAt), endedAt, answeredAt is null ? CallOutcomes.Failed : CallOutcomes.Answered,
            answeredAt, prompts.FallbackLanguage, [], new Dictionary<string, string>(), cause));
        var waitMs = (long)Math.Max(0, (agentAnsweredAt - entry.JoinedAt).TotalMilliseconds);
        callLog.Record(new QueuedCall(citizen, entry.Queue.Id, entry.Queue.DepartmentId, agent.AgentId, waitMs,
            answeredAt is { } answered ? (long)(endedAt - answered).TotalMilliseconds : null, entry.Priority > 0));
    }

    /// <summary>The calls row's hang-up cause of an attempt that did not reach the citizen.</summary>
    private static string HangupCauseOf(string attempt) => attempt switch
    {
        CallbackStates.Busy => "busy",
        CallbackStates.NoAnswer => "no-answer",
        _ => "failed",
    };

    private string NewLeg(CallbackEntry entry)
    {
        var legId = Guid.NewGuid().ToString("N");
        _legs[legId] = entry;
        return legId;
    }

    private async Task OriginateAsync(CallbackEntry entry, string legId, string endpoint, string role, int timeoutSeconds, CancellationToken ct)
    {
        await asterisk.Ari.Rest.Channels.OriginateAsync(new OriginateRequest
        {
            Endpoint = endpoint,
            App = asterisk.AppName,
            AppArgs = $"{CallbackArg},{entry.Request.Id.ToString(CultureInfo.InvariantCulture)},{role}",
            ChannelId = legId,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        }, ct);
    }

    private static async Task<bool> AnsweredAsync(CallbackEntry entry, string leg, CancellationToken ct)
    {
        while (true)
        {
            switch (await entry.Inbox.Reader.ReadAsync(ct))
            {
                case AriStimulus { Message: StasisStart start } when start.Channel.Id == leg:
                    return true;
                case AriStimulus { Message: ChannelDestroyed or StasisEnd } gone when AriEventLanes.KeyOf(gone.Message) == leg:
                    return false;
            }
        }
    }

    /// <summary>Waits until agent or citizen leaves the talk; the calls row's hang-up cause says which.</summary>
    private static async Task<string> HungUpByAsync(CallbackEntry entry, string citizen)
    {
        while (true)
        {
            if (await entry.Inbox.Reader.ReadAsync(CancellationToken.None) is AriStimulus { Message: StasisEnd or ChannelDestroyed or ChannelHangupRequest } gone)
            {
                return AriEventLanes.KeyOf(gone.Message) == citizen ? "citizen-hangup" : "agent-hangup";
            }
        }
    }

    /// <summary>Whether the citizen answered; if not, why (busy from cause 17, else no answer; the agent hanging up: failed).</summary>
    private static async Task<(bool Answered, string Outcome)> CitizenAnswersAsync(CallbackEntry entry, string citizen, string agentLeg, CancellationToken ct)
    {
        while (true)
        {
            switch (await entry.Inbox.Reader.ReadAsync(ct))
            {
                case AriStimulus { Message: StasisStart start } when start.Channel.Id == citizen:
                    return (true, CallbackStates.Reached);
                case AriStimulus { Message: ChannelDestroyed destroyed } when destroyed.Channel.Id == citizen:
                    return (false, destroyed.Cause == 17 ? CallbackStates.Busy : CallbackStates.NoAnswer);
                case AriStimulus { Message: StasisEnd or ChannelDestroyed or ChannelHangupRequest } gone when AriEventLanes.KeyOf(gone.Message) == agentLeg:
                    return (false, CallbackStates.Failed);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Callback {RequestId}: taken over from {DeadInstance} (citizen dialled: {Dialled}, answered: {Answered})")]
    private partial void LogTakenOver(long requestId, string? deadInstance, bool dialled, bool answered);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback {RequestId}: {Outcome}, request now {State}")]
    private partial void LogFinished(long requestId, string outcome, string state);

    [LoggerMessage(Level = LogLevel.Information, Message = "Callback {RequestId} given back without counting an attempt ({Reason})")]
    private partial void LogReleased(long requestId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} open callback requests had no trigger and were scheduled")]
    private partial void LogSwept(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduling the open callback requests failed; they are scheduled on the next start")]
    private partial void LogSweepFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} callbacks still in progress; a later instance settles them")]
    private partial void LogStoppedWhileTalking(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the callback leases failed: {Error}")]
    private partial void LogRenewFailed(string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Callback {RequestId} failed")]
    private partial void LogCallbackFailed(Exception e, long requestId);
}
