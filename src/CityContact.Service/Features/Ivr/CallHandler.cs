
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Ivr.Flows;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Features.Schedules;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using CityContact.Telephony.Ari.Rest;

namespace CityContact.Service.Features.Ivr;

/// <summary>Where a call is in its life; every change is a named transition on the timeline's log.</summary>
public enum CallState
{
    Arrived,
    Answering,
    InFlow,
    Apologizing,
    HandedOver,
    Ending,
    Ended,
}

/// <summary>Something that happens to one call, delivered through its inbox in order.</summary>
internal abstract record Stimulus;

internal sealed record AriStimulus(AriMessage Message) : Stimulus;

internal sealed record TimerFired(long Sequence) : Stimulus;

/// <summary>The ARI connection came back: events may have been missed while it was down.</summary>
internal sealed record Resync(bool ChannelStillThere) : Stimulus;

/// <summary>Asterisk did not answer the call (after the ARI client's retries): the call ends as failed, hung up unanswered.</summary>
internal sealed class CallNotAnsweredException : Exception
{
    public CallNotAnsweredException() : base("The call could not be answered.")
    {
    }

    public CallNotAnsweredException(Exception inner) : base("The call could not be answered.", inner)
    {
    }

    public CallNotAnsweredException(string message, Exception inner) : base(message, inner)
    {
    }
}

internal sealed class CallerHungUpException : Exception
{
    public CallerHungUpException() : base("The caller hung up.")
    {
    }

    public CallerHungUpException(string message) : base(message)
    {
    }

    public CallerHungUpException(string message, Exception inner) : base(message, inner)
    {
    }
}

/// <summary>
/// One inbound call: its state, the flow version it started on, the path and variables, and a coroutine that walks
/// the flow. ARI events and timers arrive through one inbox read by that coroutine alone, so the call's state has
/// a single owner and events are handled in order. The handler always ends by closing the call row and releasing
/// its timers, playbacks and bridges.
/// </summary>
public sealed partial class CallHandler
{
    private readonly System.Threading.Channels.Channel<Stimulus> _inbox = System.Threading.Channels.Channel.CreateUnbounded<Stimulus>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
    private readonly IvrApp _app;
    private readonly AriRestClient _ari;
    private readonly CallRecorder _recorder;
    private readonly PromptCatalog _prompts;
    private readonly FlowCatalog _catalog;
    private readonly IvrOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<string> _path = [];
    private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);
    private readonly HashSet<string> _bridges = new(StringComparer.Ordinal);
    private long _timerSequence;
    private string? _currentPlayback;
    private string? _outcome;
    private string? _hangupCause;
    private DateTimeOffset? _answeredAt;
    private bool _hungUp;
    private readonly HandoverPlace? _resume;

    /// <summary>The hang-up cause of a call whose answer failed.</summary>
    public const string AnswerFailedCause = "answer-failed";

    /// <summary>The hang-up cause of a call cut because Asterisk stopped or restarted.</summary>
    public const string AsteriskShutdownCause = "asterisk-shutdown";

    /// <summary>AST_SOFTHANGUP_SHUTDOWN: the soft-hangup flag ChannelHangupRequest carries as its cause when Asterisk shuts down.</summary>
    private const int AsteriskShutdownSoftHangup = 4;

    private bool _cutByAsteriskShutdown;

    internal CallHandler(IvrApp app, CallContext context, RunnableFlow flow, bool adopted, HandoverPlace? resume = null)
    {
        _resume = resume;
        _app = app;
        _ari = app.Ari;
        _recorder = app.Recorder;
        _prompts = app.Prompts;
        _catalog = app.Catalog;
        _options = app.Options;
        _time = app.Time;
        _logger = app.Logger;
        Context = context;
        Flow = flow;
        Adopted = adopted;
        Language = context.Language;
    }

    public CallContext Context { get; }

    public string ChannelId => Context.ChannelId;

    public RunnableFlow Flow { get; }

    public bool Adopted { get; }

    public CallState State { get; private set; } = CallState.Arrived;

    public string Language { get; private set; }

    public IReadOnlyList<string> Path => _path;

    public IReadOnlyDictionary<string, string> Variables => _variables;

    /// <summary>Sets a call variable (stored with the call when it closes), e.g. the ticket a caller asked about.</summary>
    public void SetVariable(string name, string value) => _variables[name] = value;

    internal void Post(Stimulus stimulus) => _inbox.Writer.TryWrite(stimulus);

    /// <summary>Appends a step to the call's timeline (write-behind: never waits on the database).</summary>
    public void Step(string type, object? data = null) => _recorder.Step(ChannelId, _time.GetUtcNow(), type, data);

    internal async Task RunAsync(CancellationToken ct)
    {
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["ChannelId"] = ChannelId, ["FlowVersion"] = Flow.Version });
        var leave = false;
        try
        {
            if (Adopted)
            {
                await AdoptAsync(ct);
            }
            else
            {
                await AnswerAsync(ct);
                await RunFlowAsync(Flow.Definition.Start, ct);
            }
        }
        catch (CallerHungUpException)
        {
            _outcome ??= CallOutcomes.Abandoned;
        }
        catch (CallNotAnsweredException)
        {
            // Recorded by AnswerAsync; EndAsync hangs up.
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _outcome ??= CallOutcomes.Failed;
            _hangupCause ??= "service-stopped";
            leave = !_options.HangUpCallsOnStop && !_hungUp;
        }
        finally
        {
            if (leave)
            {
                LeaveForNextInstance();
            }
            else
            {
                await EndAsync();
            }
        }
    }

    /// <summary>
    /// True when the service is stopping (<paramref name="ct"/> cancelled) and this call stays in the Stasis app for the next
    /// instance: a handover then leaves its bridges, legs and the place it keeps on the channel as they are.
    /// </summary>
    public bool IsLeftForNextInstance(CancellationToken ct) => ct.IsCancellationRequested && !_options.HangUpCallsOnStop && !_hungUp;

    /// <summary>The service stops: the channel, its playback and bridges stay in the Stasis app and the row stays open for the next instance.</summary>
    private void LeaveForNextInstance()
    {
        Step("left", new { reason = "service-stopped", state = State.ToString() });
        TransitionTo(CallState.Ended, "left in the Stasis app for the next instance");
        _inbox.Writer.TryComplete();
    }

    private void TransitionTo(CallState next, string reason)
    {
        LogTransition(State, next, reason);
        State = next;
    }

    private async Task AnswerAsync(CancellationToken ct)
    {
        _recorder.Record(new CallOpened(ChannelId, Context.Caller, Context.DialedNumber, Language, Context.StartedAt, Flow.VersionId, Context.Direction));
        Step("started", new { flow = Flow.FlowCode, version = Flow.Version });
        TransitionTo(CallState.Answering, "StasisStart");
        try
        {
            await Guard(_ari.Channels.AnswerAsync(ChannelId, ct));
        }
        catch (Exception e) when (e is AriException or HttpRequestException or TimeoutException)
        {
            // The ARI client has already retried the transient failures. The call never reached the city: it is stored
            // as failed, and EndAsync hangs the unanswered channel up with a SIP failure instead of leaving the caller
            // to ring out in silence.
            LogAnswerFailed(e.GetType().Name, e.Message);
            Step("answer.failed", new { error = e.GetType().Name });
            _outcome = CallOutcomes.Failed;
            _hangupCause = AnswerFailedCause;
            throw new CallNotAnsweredException(e);
        }
        _answeredAt = _time.GetUtcNow();
        Step("answered");
        TransitionTo(CallState.InFlow, "answered");
    }

    /// <summary>
    /// A call found in the app after a restart: its row is kept (or made); it goes back to the place a resumable handover
    /// left on the channel (a queue), else to the operator fallback.
    /// </summary>
    private async Task AdoptAsync(CancellationToken ct)
    {
        _recorder.Record(new CallOpened(ChannelId, Context.Caller, Context.DialedNumber, Language, Context.StartedAt, Flow.VersionId));
        _answeredAt = Context.StartedAt;
        if (_resume is not null && _app.ResumableQueues is { } resumable)
        {
            await ResumeAsync(resumable, _resume, ct);
            return;
        }
        Step("readopted", new { node = Flow.Definition.Fallback ?? Flow.Definition.Start });
        TransitionTo(CallState.InFlow, "re-adopted");
        await RunFlowAsync(Flow.Definition.Fallback ?? Flow.Definition.Start, ct);
    }

    /// <summary>Back at the node the previous instance had the call in; a failure there is handled as any node's (apology, fallback).</summary>
    private async Task ResumeAsync(IResumableHandover resumable, HandoverPlace place, CancellationToken ct)
    {
        Step("readopted", new { node = place.NodeId, resumed = true });
        _path.Add(place.NodeId);
        TransitionTo(CallState.HandedOver, $"re-adopted at {place.NodeId}");
        string? next;
        try
        {
            next = await resumable.ResumeAsync(this, place, ct);
        }
        catch (Exception e) when (e is not CallerHungUpException and not OperationCanceledException)
        {
            LogNodeFailed(e, ChannelId, place.NodeId);
            Step("failed", new { node = place.NodeId, error = e.GetType().Name });
            TransitionTo(CallState.Apologizing, $"node {place.NodeId} failed");
            await TryPlayApologyAsync(ct);
            next = Flow.Definition.Fallback;
            if (next is null || next == place.NodeId)
            {
                _outcome = CallOutcomes.Failed;
                _hangupCause = "ivr-failure";
                return;
            }
        }
        if (next is not null)
        {
            TransitionTo(CallState.InFlow, $"resumed flow at {next}");
            await RunFlowAsync(next, ct);
        }
    }

    private async Task RunFlowAsync(string start, CancellationToken ct)
    {
        string? nodeId = start;
        var apologized = false;
        while (nodeId is not null)
        {
            var current = nodeId;
            try
            {
                nodeId = await RunNodeAsync(nodeId, ct);
            }
            catch (Exception e) when (e is not CallerHungUpException and not OperationCanceledException)
            {
                LogNodeFailed(e, ChannelId, current);
                Step("failed", new { node = current, error = e.GetType().Name });
                var fallback = Flow.Definition.Fallback;
                if (apologized || fallback is null || fallback == current)
                {
                    _outcome = CallOutcomes.Failed;
                    _hangupCause = "ivr-failure";
                    await TryPlayApologyAsync(ct);
                    return;
                }
                apologized = true;
                TransitionTo(CallState.Apologizing, $"node {current} failed");
                await TryPlayApologyAsync(ct);
                TransitionTo(CallState.InFlow, "apology played");
                nodeId = fallback;
            }
        }
    }

    private async Task TryPlayApologyAsync(CancellationToken ct)
    {
        try
        {
            await PlayAsync(["apology"], interruptible: false, ct);
        }
        catch (AriException e)
        {
            LogApologyFailed(e.Message);
        }
    }

    private async Task<string?> RunNodeAsync(string id, CancellationToken ct)
    {
        var node = Flow.Definition.Nodes[id];
        _path.Add(id);
        Step("node", new { node = id, kind = node.Kind });
        switch (node.Kind)
        {
            case NodeKinds.Play:
                await PlayAsync(node.Prompts ?? [], interruptible: false, ct);
                return node.Next;
            case NodeKinds.Language:
                var language = await ChooseAsync(id, node, node.Options!, ct);
                if (language is not null)
                {
                    Language = language;
                    Step("language", new { language });
                }
                return node.Next;
            case NodeKinds.Menu:
                return await ChooseAsync(id, node, node.Options!, ct) ?? Exit(id, node.Exit);
            case NodeKinds.Hours:
                return Hours(id, node);
            case NodeKinds.Input:
                var digits = await InputAsync(node, ct);
                if (digits is null)
                {
                    return Exit(id, node.Exit ?? node.Next);
                }
                _variables[node.Variable!] = digits;
                Step("input", new { node = id, variable = node.Variable, length = digits.Length });
                return node.Next;
            case NodeKinds.Queue:
                TransitionTo(CallState.HandedOver, $"queue {node.Queue}");
                return await _app.Queues.HandOverAsync(this, node, ct);
            case NodeKinds.Voicemail:
                TransitionTo(CallState.HandedOver, "voicemail");
                return await _app.Voicemail.HandOverAsync(this, node, ct);
            case NodeKinds.Transfer:
                return await TransferAsync(id, node, ct);
            case NodeKinds.TicketStatus:
                return await _app.TicketStatus.HandOverAsync(this, node, ct);
            case NodeKinds.Survey:
                return await _app.Survey.HandOverAsync(this, node, ct);
            case NodeKinds.Hangup:
                _outcome ??= CallOutcomes.SelfService;
                _hangupCause ??= "ivr-hangup";
                return null;
            default:
                throw new InvalidOperationException($"node {id} has unknown kind {node.Kind}");
        }
    }

    private string? Exit(string id, string? exit)
    {
        Step("exit", new { node = id, reason = "max-retries", next = exit });
        return exit;
    }

    private string Hours(string id, FlowNode node)
    {
        var schedule = _catalog.Schedule(node.Schedule!);
        var state = schedule is null ? HoursState.Open : BusinessHours.StateAt(schedule, _time.GetUtcNow());
        Step("hours", new { node = id, schedule = node.Schedule, state = state.ToString().ToLowerInvariant(), known = schedule is not null });
        return state switch
        {
            HoursState.Open => node.Open!,
            HoursState.Holiday => node.Holiday ?? node.Closed!,
            _ => node.Closed!,
        };
    }

    /// <summary>
    /// Plays the question (a digit stops it: barge-in), waits for one digit, and retries with the no-input or
    /// invalid-choice prompt; the option's value, or null after the last retry.
    /// </summary>
    private async Task<string?> ChooseAsync(string id, FlowNode node, IReadOnlyDictionary<string, string> options, CancellationToken ct)
    {
        var retries = node.MaxRetries ?? _options.DefaultMaxRetries;
        var timeout = TimeSpan.FromMilliseconds(node.TimeoutMs ?? _options.DefaultTimeoutMs);
        for (var attempt = 0; attempt <= retries; attempt++)
        {
            var digit = await PlayAsync(node.Prompts ?? [], interruptible: true, ct);
            if (digit is not null)
            {
                Step("barge-in", new { node = id, digit });
            }
            digit ??= await WaitForDigitAsync(timeout, ct);
            if (digit is null)
            {
                Step("timeout", new { node = id, attempt });
                if (node.NoInputPrompt is { } noInput)
                {
                    await PlayAsync([noInput], interruptible: false, ct);
                }
                continue;
            }
            if (options.TryGetValue(digit, out var chosen))
            {
                Step("digit", new { node = id, digit, next = chosen });
                return chosen;
            }
            Step("invalid", new { node = id, digit, attempt });
            if (node.InvalidPrompt is { } invalid)
            {
                await PlayAsync([invalid], interruptible: false, ct);
            }
        }
        return null;
    }

    /// <summary>Digits until # (or the maximum, or the inter-digit timeout); null when nothing was entered.</summary>
    private async Task<string?> InputAsync(FlowNode node, CancellationToken ct)
    {
        var max = node.MaxDigits ?? 20;
        var digits = "";
        var first = await PlayAsync(node.Prompts ?? [], interruptible: true, ct);
        var timeout = TimeSpan.FromMilliseconds(node.TimeoutMs ?? _options.DefaultTimeoutMs);
        var interDigit = TimeSpan.FromMilliseconds(node.InterDigitTimeoutMs ?? _options.DefaultInterDigitTimeoutMs);
        var digit = first ?? await WaitForDigitAsync(timeout, ct);
        while (digit is not null && digit != "#")
        {
            digits += digit;
            if (digits.Length >= max)
            {
                break;
            }
            digit = await WaitForDigitAsync(interDigit, ct);
        }
        if (digit is null && digits.Length > 0)
        {
            Step("timeout", new { kind = "inter-digit", length = digits.Length });
        }
        return digits.Length == 0 ? null : digits;
    }

    /// <summary>
    /// Plays the prompts in the call's language one after the other; with <paramref name="interruptible"/> a digit stops
    /// the playback and is returned (barge-in). Throws <see cref="CallerHungUpException"/> when the caller hangs up.
    /// </summary>
    public async Task<string?> PlayAsync(IReadOnlyList<string> promptKeys, bool interruptible, CancellationToken ct)
    {
        foreach (var key in promptKeys)
        {
            var media = _prompts.Resolve(key, Language);
            var playbackId = Guid.NewGuid().ToString("N");
            _currentPlayback = playbackId;
            Step("prompt", new { key, media });
            await Guard(_ari.Channels.PlayWithIdAsync(ChannelId, playbackId, media, null, ct));
            while (true)
            {
                var stimulus = await NextAsync(ct);
                if (stimulus is AriStimulus { Message: PlaybackFinished finished } && finished.Playback.Id == playbackId)
                {
                    break;
                }
                if (stimulus is Resync && await PlaybackGoneAsync(playbackId, ct))
                {
                    break;
                }
                if (interruptible && stimulus is AriStimulus { Message: ChannelDtmfReceived dtmf } && dtmf.Channel.Id == ChannelId)
                {
                    await _ari.Playbacks.StopAsync(playbackId, ct).IgnoreNotFound();
                    _currentPlayback = null;
                    return dtmf.Digit;
                }
            }
            _currentPlayback = null;
        }
        return null;
    }

    /// <summary>
    /// Records the caller until the recording ends (maximum duration, silence, the terminating digit). A caller who hangs
    /// up meanwhile still gets the recording's end: Asterisk sends RecordingFinished just after the hangup request, so
    /// the inbox is read for it a little longer before the hangup is raised as <see cref="CallerHungUpException"/>
    /// through <see cref="RecordingEnd.CallerHungUp"/>.
    /// </summary>
    /// <remarks>
    /// Asterisk gives a recording up after 4 s without a single audio frame ("No audio available", whatever
    /// maxSilenceSeconds says), which is what a phone that suppresses silence sends while its user has not started
    /// speaking. Such an empty take ended before <see cref="RecordRequest.MaxSilence"/> is taken again (same name,
    /// overwritten, no second beep) for the time left, so a silent caller gets the configured silence to begin.
    /// </remarks>
    public async Task<RecordingEnd> RecordAsync(RecordRequest request, CancellationToken ct)
    {
        var started = _time.GetUtcNow();
        var take = request;
        while (true)
        {
            var (end, pressed) = await RecordTakeAsync(take, ct);
            var elapsed = _time.GetUtcNow() - started;
            if (end.Seconds > 0 || end.CallerHungUp || pressed || end.Failed || request.MaxSilence is not { } silence || elapsed >= silence
                || (request.MaxDuration is { } max && elapsed >= max))
            {
                return end;
            }
            Step("recording.no-audio", new { name = request.Name, afterMs = (long)elapsed.TotalMilliseconds });
            take = request with
            {
                Beep = false,
                IfExists = "overwrite",
                MaxSilence = silence - elapsed,
                MaxDuration = request.MaxDuration - elapsed,
            };
        }
    }

    /// <summary>One take of <see cref="RecordAsync"/>; <c>Pressed</c> when the caller pressed a key meanwhile (the terminating digit).</summary>
    private async Task<(RecordingEnd End, bool Pressed)> RecordTakeAsync(RecordRequest request, CancellationToken ct)
    {
        await Guard(_ari.Channels.RecordAsync(ChannelId, request, ct));
        Step("recording.started", new { name = request.Name });
        var pressed = false;
        var hungUp = false;
        // Events of this take follow its RecordingStarted: an end of an earlier take of the same name still in the inbox
        // (Asterisk sent channel events twice to an app also subscribed to the channel's endpoint) is not this take's.
        var started = false;
        IDisposable? grace = null;
        long graceSequence = 0;
        try
        {
            while (true)
            {
                var stimulus = await _inbox.Reader.ReadAsync(ct);
                switch (stimulus)
                {
                    case AriStimulus { Message: RecordingStarted start } when start.Recording.Name == request.Name:
                        started = true;
                        break;
                    case AriStimulus { Message: RecordingFinished finished } when started && finished.Recording.Name == request.Name:
                        return (Ended(finished.Recording.Duration ?? 0, failed: false), pressed);
                    case AriStimulus { Message: RecordingFailed failed } when started && failed.Recording.Name == request.Name:
                        return (Ended(0, failed: true), pressed);
                    case TimerFired fired when hungUp && fired.Sequence == graceSequence:
                        return (Ended(0, failed: true), pressed);
                    case AriStimulus { Message: ChannelDtmfReceived dtmf } when dtmf.Channel.Id == ChannelId:
                        pressed = true;
                        break;
                    case var gone when !hungUp && IsCallerGone(gone):
                        hungUp = true;
                        OnGone(gone);
                        graceSequence = ++_timerSequence;
                        grace = _app.StartTimer(() => Post(new TimerFired(graceSequence)), TimeSpan.FromSeconds(2));
                        break;
                }
            }
        }
        finally
        {
            grace?.Dispose();
        }

        RecordingEnd Ended(int seconds, bool failed)
        {
            Step("recording.finished", new { name = request.Name, seconds, failed, callerHungUp = hungUp });
            return new RecordingEnd(request.Name, seconds, hungUp) { Failed = failed };
        }
    }

    private async Task<bool> PlaybackGoneAsync(string playbackId, CancellationToken ct) =>
        await _ari.Playbacks.GetAsync(playbackId, ct).IgnoreNotFound() is null;

    /// <summary>One digit, or null when <paramref name="timeout"/> passes first (on the service's clock).</summary>
    public async Task<string?> WaitForDigitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var sequence = ++_timerSequence;
        using var timer = _app.StartTimer(() => Post(new TimerFired(sequence)), timeout);
        while (true)
        {
            var stimulus = await NextAsync(ct);
            switch (stimulus)
            {
                case TimerFired fired when fired.Sequence == sequence:
                    return null;
                case AriStimulus { Message: ChannelDtmfReceived dtmf } when dtmf.Channel.Id == ChannelId:
                    return dtmf.Digit;
            }
        }
    }

    /// <summary>The next stimulus of this call; a hangup of the caller's channel ends any wait.</summary>
    internal async Task<Stimulus> NextAsync(CancellationToken ct)
    {
        if (_hungUp)
        {
            throw new CallerHungUpException();
        }
        var stimulus = await _inbox.Reader.ReadAsync(ct);
        if (IsCallerGone(stimulus))
        {
            OnGone(stimulus);
            throw new CallerHungUpException();
        }
        return stimulus;
    }

    /// <summary>
    /// The caller's channel is going. Asterisk stopping or restarting (<c>core restart now</c>, <c>core stop now</c>) soft-hangs
    /// up every channel with AST_SOFTHANGUP_SHUTDOWN: ChannelHangupRequest <c>cause 4, soft true</c>, where a caller's BYE gives
    /// neither field and the app's own DELETE gives 32. Such a call was cut by the city's side, not left by the caller.
    /// </summary>
    private void OnGone(Stimulus stimulus)
    {
        _hungUp = true;
        _cutByAsteriskShutdown = stimulus is AriStimulus { Message: ChannelHangupRequest { Soft: true, Cause: AsteriskShutdownSoftHangup } };
        Step("hangup", new { by = _cutByAsteriskShutdown ? "asterisk-shutdown" : "caller", state = State.ToString() });
    }

    private bool IsCallerGone(Stimulus stimulus) => stimulus switch
    {
        AriStimulus { Message: StasisEnd e } => e.Channel.Id == ChannelId,
        AriStimulus { Message: ChannelHangupRequest e } => e.Channel.Id == ChannelId,
        AriStimulus { Message: ChannelDestroyed e } => e.Channel.Id == ChannelId,
        Resync { ChannelStillThere: false } => true,
        _ => false,
    };

    /// <summary>REST calls on a channel that has just hung up answer 404: that is the caller leaving, not a failure.</summary>
    private async Task Guard(Task request)
    {
        try
        {
            await request;
        }
        catch (AriNotFoundException)
        {
            _hungUp = true;
            throw new CallerHungUpException("The channel is gone.");
        }
    }

    private async Task Guard<T>(Task<T> request) => await Guard((Task)request);

    /// <summary>Ends the IVR part with an outcome: the call is hung up by the service once the handler returns.</summary>
    public void Finish(string outcome, string reason)
    {
        _outcome = outcome;
        _hangupCause = reason;
    }

    private async Task<string?> TransferAsync(string id, FlowNode node, CancellationToken ct)
    {
        string endpoint;
        if (node.Extension is { } extension)
        {
            endpoint = $"PJSIP/{extension}";
        }
        else if (node.Number is { } number && _options.IsAllowedExternal(number))
        {
            endpoint = $"PJSIP/{number}@{_options.TransferTrunk}";
        }
        else
        {
            Step("transfer.refused", new { node = id, reason = "not in the allow-list" });
            await PlayAsync(["transfer-failed"], interruptible: false, ct);
            return FallbackAfter(id);
        }
        var legId = Guid.NewGuid().ToString("N");
        Step("transfer", new { node = id, endpoint });
        _app.RegisterLeg(legId, this);
        try
        {
            var dialed = await _ari.Channels.OriginateAsync(new OriginateRequest
            {
                Endpoint = endpoint,
                App = _app.AppName,
                AppArgs = $"transfer,{ChannelId}",
                ChannelId = legId,
                CallerId = Context.Caller,
                Timeout = TimeSpan.FromSeconds(_options.TransferRingTimeoutSeconds),
            }, ct);
            // The leg is registered under the id we asked for before dialing, so no event of it can slip by; should the
            // server have chosen its own id (the simulator does), follow the channel it reports.
            if (dialed.Id != legId)
            {
                _app.ReleaseLeg(legId);
                legId = dialed.Id;
                _app.RegisterLeg(legId, this);
            }
            while (true)
            {
                var stimulus = await NextAsync(ct);
                if (stimulus is AriStimulus { Message: StasisStart start } && start.Channel.Id == legId)
                {
                    break;
                }
                if (stimulus is AriStimulus { Message: ChannelDestroyed or StasisEnd } leg && AriEventLanes.KeyOf(leg.Message) == legId)
                {
                    Step("transfer.failed", new { node = id, reason = "not answered" });
                    await PlayAsync(["transfer-failed"], interruptible: false, ct);
                    return FallbackAfter(id);
                }
            }
            var bridge = await _ari.Bridges.CreateAsync("mixing", Guid.NewGuid().ToString("N"), $"transfer-{ChannelId}", ct);
            _bridges.Add(bridge.Id);
            await Guard(_ari.Bridges.AddChannelsAsync(bridge.Id, [ChannelId, legId], null, ct));
            Step("transfer.connected", new { node = id });
            TransitionTo(CallState.HandedOver, $"bridged with {endpoint}");
            _outcome = CallOutcomes.Answered;
            while (true)
            {
                var stimulus = await NextAsync(ct);
                if (stimulus is AriStimulus { Message: StasisEnd or ChannelDestroyed or ChannelHangupRequest } leg && AriEventLanes.KeyOf(leg.Message) == legId)
                {
                    Step("transfer.ended", new { by = "callee" });
                    _hangupCause = "callee-hangup";
                    return null;
                }
            }
        }
        finally
        {
            _app.ReleaseLeg(legId);
            await _ari.Channels.HangupAsync(legId, null, CancellationToken.None).IgnoreNotFound();
        }
    }

    private string? FallbackAfter(string id)
    {
        var fallback = Flow.Definition.Fallback;
        if (fallback is null || fallback == id)
        {
            _outcome = CallOutcomes.Failed;
            _hangupCause = "transfer-failed";
            return null;
        }
        return fallback;
    }

    private async Task EndAsync()
    {
        TransitionTo(CallState.Ending, _hungUp ? "caller hung up" : _hangupCause ?? "flow ended");
        // A call ended without an outcome counts as self-service only if it was answered: one that never was, failed.
        var outcome = _outcome ?? (_hungUp ? CallOutcomes.Abandoned : _answeredAt is null ? CallOutcomes.Failed : CallOutcomes.SelfService);
        var hangupCause = _hangupCause ?? (_hungUp ? "caller-hangup" : _answeredAt is null ? "not-answered" : null);
        if (_cutByAsteriskShutdown)
        {
            // The city's side ended the call: the citizen did not abandon it (a call already answered by an agent or that
            // left a message keeps that outcome).
            outcome = outcome == CallOutcomes.Abandoned ? CallOutcomes.Failed : outcome;
            hangupCause = AsteriskShutdownCause;
        }
        using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            if (_currentPlayback is { } playback)
            {
                await _ari.Playbacks.StopAsync(playback, cleanup.Token).IgnoreNotFound();
            }
            foreach (var bridge in _bridges)
            {
                await _ari.Bridges.DestroyAsync(bridge, cleanup.Token).IgnoreNotFound();
            }
            if (!_hungUp)
            {
                // An unanswered channel is refused with congestion (SIP 503), so the carrier ends the caller's ringing at once.
                var reason = _answeredAt is null ? HangupReasons.Congestion : HangupReasons.Normal;
                await _ari.Channels.HangupAsync(ChannelId, reason, cleanup.Token).IgnoreNotFound();
            }
        }
        catch (Exception e) when (e is AriException or HttpRequestException or OperationCanceledException)
        {
            LogCleanupFailed(e.Message);
        }
        _recorder.Record(new CallClosed(ChannelId, Guid.CreateVersion7(), _time.GetUtcNow(), outcome, _answeredAt, Language,
            [.. _path], new Dictionary<string, string>(_variables), hangupCause, Readopted: Adopted));
        TransitionTo(CallState.Ended, outcome);
        _inbox.Writer.TryComplete();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Call {From} → {To}: {Reason}")]
    private partial void LogTransition(CallState from, CallState to, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Call {ChannelId}: node {Node} failed; the caller hears the apology and goes to the operator fallback")]
    private partial void LogNodeFailed(Exception e, string channelId, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The apology could not be played: {Error}")]
    private partial void LogApologyFailed(string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Answering the call failed ({ErrorType}: {Error}): the call is hung up as failed")]
    private partial void LogAnswerFailed(string errorType, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing the call's resources failed: {Error}")]
    private partial void LogCleanupFailed(string error);
}

/// <summary>How a recording of the caller ended: its stored name, its length in whole seconds, whether the caller hung up.</summary>
public sealed record RecordingEnd(string Name, int Seconds, bool CallerHungUp)
{
    /// <summary>Asterisk reported the recording failed (or its end never came after a hangup).</summary>
    public bool Failed { get; init; }
}

/// <summary>What is known about a call when it arrives.</summary>
public sealed record CallContext(string ChannelId, string Caller, string DialedNumber, string Language, DateTimeOffset StartedAt, string Direction = CallDirections.Inbound);
