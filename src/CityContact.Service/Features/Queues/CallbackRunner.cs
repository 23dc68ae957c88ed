using System.Collections.Concurrent;
using System.Globalization;
using CityContact.Service.Features.Ivr;
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
/// Dials due callback requests: each claimed request (pending → dialing, exactly once in the database) waits in its
/// department's queue like a caller; when an agent answers, the citizen is dialled and both are bridged. The outcome
/// (reached, no answer, busy, failed) is stored with bounded retries and noted in the ticket's history.
/// </summary>
public sealed partial class CallbackRunner(
    CallbackStore store, QueueDispatcher dispatcher, AsteriskConnection asterisk, TicketService tickets, IOptions<QueueOptions> options,
    TimeProvider time, ILogger<CallbackRunner> logger) : BackgroundService, IStasisListener
{
    public const string CallbackArg = "callback";

    private readonly ConcurrentDictionary<string, CallbackEntry> _legs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];

    public int Running => _running.Count;

    public void Handle(AriMessage message)
    {
        if (_legs.TryGetValue(AriEventLanes.KeyOf(message), out var entry))
        {
            entry.Deliver(new AriStimulus(message));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await dispatcher.Loaded;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CallbackPollSeconds), time);
        do
        {
            try
            {
                while (await store.ClaimNextAsync(time.GetUtcNow(), _instance, stoppingToken) is { } request)
                {
                    _running[request.Id] = Task.Run(() => RunAsync(request, stoppingToken), CancellationToken.None);
                }
            }
            catch (Npgsql.NpgsqlException e)
            {
                LogPollFailed(e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RunAsync(StoredCallback request, CancellationToken ct)
    {
        var outcome = CallbackStates.Failed;
        try
        {
            outcome = await DialAsync(request, ct);
        }
        catch (Exception e) when (e is AriException or HttpRequestException or Npgsql.NpgsqlException)
        {
            LogCallbackFailed(e, request.Id);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: the attempt is not counted against the citizen; the next instance claims the request again.
            outcome = CallbackStates.Pending;
        }
        finally
        {
            try
            {
                if (outcome == CallbackStates.Pending)
                {
                    await store.FinishAttemptAsync(request.Id, "interrupted", time.GetUtcNow(), CancellationToken.None);
                }
                else
                {
                    await store.FinishAttemptAsync(request.Id, outcome, time.GetUtcNow().AddMinutes(options.Value.CallbackRetryMinutes), CancellationToken.None);
                    if (request.TicketId is { } ticketId)
                    {
                        await tickets.AddNoteAsync(ticketId, $"Callback attempt {request.Attempts.ToString(CultureInfo.InvariantCulture)}: {outcome}",
                            QueueCallbackScheduler.Actor, CancellationToken.None);
                    }
                }
            }
            catch (Npgsql.NpgsqlException e)
            {
                LogCallbackFailed(e, request.Id);
            }
            _running.TryRemove(request.Id, out _);
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
        var entry = new CallbackEntry(request, queue, request.NotBefore < now.UtcDateTime ? new DateTimeOffset(request.NotBefore, TimeSpan.Zero) : now);
        if (await dispatcher.JoinAsync(entry) != JoinResult.Joined)
        {
            return CallbackStates.Failed;
        }
        var ari = asterisk.Ari.Rest;
        try
        {
            // The agent first: wait for an offer, ring, and go round again when they do not answer.
            string? agentLeg = null;
            AgentLine? agent = null;
            while (agentLeg is null)
            {
                if (await entry.Inbox.Reader.ReadAsync(ct) is not QueueOffer { Agents: [var offered, ..] })
                {
                    continue;
                }
                var leg = await OriginateAsync(entry, offered.Endpoint, "agent", options.Value.RingTimeoutSeconds, ct);
                if (await AnsweredAsync(entry, leg, ct))
                {
                    dispatcher.RingEnded(entry, offered.AgentId, RingOutcome.Answered);
                    (agentLeg, agent) = (leg, offered);
                }
                else
                {
                    dispatcher.RingEnded(entry, offered.AgentId, RingOutcome.Missed);
                }
            }
            var started = time.GetUtcNow();
            try
            {
                var endpoint = string.Format(CultureInfo.InvariantCulture, options.Value.CallbackEndpoint, request.Phone);
                var citizen = await OriginateAsync(entry, endpoint, "citizen", options.Value.CallbackRingSeconds, ct);
                var (answered, cause) = await CitizenAnswersAsync(entry, citizen, agentLeg, ct);
                if (!answered)
                {
                    await ari.Channels.HangupAsync(citizen, null, CancellationToken.None).IgnoreNotFound();
                    return cause;
                }
                var bridge = await ari.Bridges.CreateAsync("mixing", Guid.NewGuid().ToString("N"), $"callback-{request.Id}", ct);
                try
                {
                    await ari.Bridges.AddChannelsAsync(bridge.Id, [agentLeg, citizen], null, ct);
                    while (await entry.Inbox.Reader.ReadAsync(ct) is not AriStimulus { Message: StasisEnd or ChannelDestroyed or ChannelHangupRequest })
                    {
                    }
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
                await ari.Channels.HangupAsync(agentLeg, null, CancellationToken.None).IgnoreNotFound();
                dispatcher.TalkEnded(agent!.AgentId, queue.Id, time.GetUtcNow() - started);
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

    private async Task<string> OriginateAsync(CallbackEntry entry, string endpoint, string role, int timeoutSeconds, CancellationToken ct)
    {
        var legId = Guid.NewGuid().ToString("N");
        _legs[legId] = entry;
        var channel = await asterisk.Ari.Rest.Channels.OriginateAsync(new OriginateRequest
        {
            Endpoint = endpoint,
            App = asterisk.AppName,
            AppArgs = $"{CallbackArg},{entry.Request.Id.ToString(CultureInfo.InvariantCulture)},{role}",
            ChannelId = legId,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        }, ct);
        if (channel.Id != legId)
        {
            _legs.TryRemove(legId, out _);
            _legs[channel.Id] = entry;
        }
        return channel.Id;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for due callbacks failed: {Error}")]
    private partial void LogPollFailed(string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Callback {RequestId} failed")]
    private partial void LogCallbackFailed(Exception e, long requestId);
}
