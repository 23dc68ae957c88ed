using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using CityContact.Service.Features.Agents;
using CityContact.Service.Features.Desk;
using CityContact.Service.Features.Queues;
using CityContact.Service.Features.Reports;
using CityContact.Service.Infrastructure.Configuration;

namespace CityContact.Service.Features.Wallboard;

/// <summary>
/// The one in-memory view of the contact center behind the wallboard and the agents' desks. The dispatcher tells it
/// every change (on the dispatcher's loop: copied and queued, never blocking); its own loop applies them to the
/// <see cref="FloorState"/> and, at most once per <see cref="WallboardOptions.PublishIntervalMilliseconds"/>, serializes
/// the board (and each desk that changed) once and hands the bytes to every viewer's stream. Today's figures come from
/// the database once at start-up and at the city's midnight, pending callbacks from one query every few seconds; no
/// viewer ever causes a query.
/// </summary>
public sealed partial class LiveFloor(
    WallboardStore store, CitizenHistoryReader histories, IOptions<WallboardOptions> options, IOptions<ReportOptions> reports,
    IOptions<CityOptions> city, TimeProvider time, ILogger<LiveFloor> logger) : BackgroundService, IDispatcherObserver
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConditionalWeakTable<QueueEntry, CallFacts> _facts = [];
    private readonly ConcurrentDictionary<long, SseFeed> _desks = new();
    private readonly FloorState _state = new(options.Value, TimeSpan.FromSeconds(reports.Value.ServiceLevelSeconds));
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(city.Value.TimeZone);
    private DateTimeOffset _nextMidnight = DateTimeOffset.MinValue;

    private sealed record Offered(CallFacts Call, bool Joined);

    private sealed record Left(CallFacts Call, QueueLeaving How, long? AgentId, DateTimeOffset At);

    private sealed record AgentUpdate(AgentView Agent, IReadOnlyList<AgentSkill> Skills, CallFacts? Call, DateTimeOffset At);

    private sealed record HistoryLoaded(long AgentId, string CallId, long? CallRowId, CitizenHistory History);

    private sealed record WrapUpCoded(long AgentId, string CallId, string Code);

    private sealed record CallbacksCounted(Dictionary<long, long> ByDepartment);

    private sealed record CurrentCallQuery(long AgentId, TaskCompletionSource<string?> Answer);

    private sealed record DeskQuery(long AgentId, TaskCompletionSource<byte[]?> Answer);

    public SseFeed Board { get; } = new("board");

    /// <summary>The desk stream of an agent (created on first use; published to from the first change of that agent).</summary>
    public SseFeed DeskOf(long agentId) => _desks.GetOrAdd(agentId, _ => new SseFeed("desk"));

    public void Changed(DispatcherChange change)
    {
        switch (change)
        {
            case QueuesLoaded loaded:
                _inbox.Writer.TryWrite(loaded);
                break;
            case CallerOffered { Entry: CallerEntry } offered:
                _inbox.Writer.TryWrite(new Offered(FactsOf(offered.Entry), offered.Joined));
                break;
            case CallerLeft { Entry: CallerEntry } left:
                _inbox.Writer.TryWrite(new Left(FactsOf(left.Entry), left.How, left.AgentId, left.At));
                break;
            case AgentChanged agent:
                _inbox.Writer.TryWrite(new AgentUpdate(agent.Agent, agent.Skills, agent.Call is { } entry ? FactsOf(entry) : null, agent.At));
                break;
        }
    }

    /// <summary>
    /// The facts of a queued call, copied the first time the dispatcher names it: when it joins, the call's own task is
    /// waiting for the dispatcher's answer, so its path and language are read while nothing else changes them.
    /// </summary>
    private CallFacts FactsOf(QueueEntry entry) => _facts.GetValue(entry, e => e switch
    {
        CallerEntry caller => new CallFacts(caller.Call.ChannelId, e.Queue.Id, e.Queue.Code, caller.Call.Context.Caller, caller.Call.Language,
            [.. caller.Call.Path], e.Priority > 0, e.JoinedAt),
        CallbackEntry callback => new CallFacts($"callback-{callback.Request.Id}", e.Queue.Id, e.Queue.Code, callback.Request.Phone, null, [],
            e.Priority > 0, e.JoinedAt),
        _ => new CallFacts($"entry-{e.Sequence}", e.Queue.Id, e.Queue.Code, "", null, [], e.Priority > 0, e.JoinedAt),
    });

    /// <summary>The call on the agent's desk now (ringing, talking or in wrap-up): its channel id, or null.</summary>
    public Task<string?> CurrentCallOfAsync(long agentId)
    {
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _inbox.Writer.TryWrite(new CurrentCallQuery(agentId, answer));
        return answer.Task;
    }

    /// <summary>The agent's desk as it is once every change told so far is applied (JSON), or null for an unknown agent.</summary>
    public Task<byte[]?> DeskNowAsync(long agentId)
    {
        var answer = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _inbox.Writer.TryWrite(new DeskQuery(agentId, answer));
        return answer.Task;
    }

    /// <summary>The wrap-up code an agent gave the call on their desk (stored by the caller of this).</summary>
    public void WrapUpCodeSet(long agentId, string callId, string code) => _inbox.Writer.TryWrite(new WrapUpCoded(agentId, callId, code));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.PublishIntervalMilliseconds);
        var refresh = Task.Run(() => CountCallbacksAsync(stoppingToken), CancellationToken.None);
        var lastPublish = DateTimeOffset.MinValue;
        Task<bool>? next = null;
        try
        {
            while (true)
            {
                var now = time.GetUtcNow();
                if (now >= _nextMidnight)
                {
                    await StartDayAsync(now, stoppingToken);
                }
                // Changes are published together at most once per interval; while callers wait the board is pushed
                // every second anyway, so that their longest wait (and its threshold) moves on the screens.
                var due = _state.Changed ? lastPublish + interval : _state.AnyoneWaiting ? lastPublish + TimeSpan.FromSeconds(1) : DateTimeOffset.MaxValue;
                if (due <= now)
                {
                    Publish(now);
                    lastPublish = now;
                    continue;
                }
                next ??= _inbox.Reader.WaitToReadAsync(stoppingToken).AsTask();
                var wake = Min(due, _nextMidnight) - now;
                using (var sleep = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    await Task.WhenAny(next, Task.Delay(Min(wake, TimeSpan.FromMinutes(1)), time, sleep.Token));
                    await sleep.CancelAsync();
                }
                if (next.IsCompleted)
                {
                    if (!await next)
                    {
                        return;
                    }
                    next = null;
                    while (_inbox.Reader.TryRead(out var item))
                    {
                        Apply(item, stoppingToken);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await refresh;
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private void Apply(object item, CancellationToken ct)
    {
        switch (item)
        {
            case QueuesLoaded loaded:
                _state.LoadQueues(loaded.Queues);
                break;
            case Offered offered:
                _state.Offered(offered.Call, offered.Joined);
                break;
            case Left left:
                _state.Left(left.Call, left.How, left.AgentId, left.At);
                break;
            case AgentUpdate update:
                if (_state.AgentChanged(update.Agent, update.Skills, update.Call, update.At) && update.Call is { CallerNumber.Length: > 0 } call
                    && !call.CallId.StartsWith("callback-", StringComparison.Ordinal))
                {
                    _ = Task.Run(() => ReadHistoryAsync(update.Agent.Id, call, ct), CancellationToken.None);
                }
                break;
            case HistoryLoaded history:
                _state.HistoryRead(history.AgentId, history.CallId, history.CallRowId, history.History);
                break;
            case WrapUpCoded coded:
                _state.WrapUpCodeSet(coded.AgentId, coded.CallId, coded.Code);
                break;
            case CallbacksCounted counted:
                _state.SetCallbacksPending(counted.ByDepartment);
                break;
            case CurrentCallQuery query:
                query.Answer.TrySetResult(_state.CurrentCallOf(query.AgentId));
                break;
            case DeskQuery query:
                query.Answer.TrySetResult(_state.BuildDesk(query.AgentId) is { } desk ? JsonSerializer.SerializeToUtf8Bytes(desk, Json) : null);
                break;
        }
    }

    private void Publish(DateTimeOffset now)
    {
        if (_state.BoardChanged || _state.AnyoneWaiting)
        {
            Board.Publish(JsonSerializer.SerializeToUtf8Bytes(_state.BuildBoard(now), Json));
        }
        foreach (var (agentId, desk) in _state.BuildChangedDesks())
        {
            DeskOf(agentId).Publish(JsonSerializer.SerializeToUtf8Bytes(desk, Json));
        }
    }

    /// <summary>Today's figures start from the calls rows since the city's midnight (events wait in the inbox meanwhile).</summary>
    private async Task StartDayAsync(DateTimeOffset now, CancellationToken ct)
    {
        var local = TimeZoneInfo.ConvertTime(now, _zone);
        var midnight = new DateTimeOffset(local.Date, _zone.GetUtcOffset(local.Date));
        var tomorrow = local.Date.AddDays(1);
        _nextMidnight = new DateTimeOffset(tomorrow, _zone.GetUtcOffset(tomorrow));
        IReadOnlyList<StoredQueueDay> days = [];
        IReadOnlyDictionary<long, long> calls = new Dictionary<long, long>();
        try
        {
            days = await store.QueueDaysAsync(midnight, TimeSpan.FromSeconds(reports.Value.ServiceLevelSeconds), ct);
            calls = await store.CallsByAgentAsync(midnight, ct);
        }
        catch (Npgsql.NpgsqlException e)
        {
            // The board counts from zero rather than not at all.
            LogSeedFailed(e.Message);
        }
        _state.StartDay(days, calls);
    }

    private async Task CountCallbacksAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.CallbacksRefreshSeconds), time);
        do
        {
            try
            {
                _inbox.Writer.TryWrite(new CallbacksCounted(await store.CallbacksPendingAsync(ct)));
            }
            catch (Npgsql.NpgsqlException e)
            {
                LogCallbacksFailed(e.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
        while (await WaitAsync(timer, ct));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ReadHistoryAsync(long agentId, CallFacts call, CancellationToken ct)
    {
        try
        {
            var (rowId, history) = await histories.ReadAsync(agentId, call.CallId, call.CallerNumber, ct);
            _inbox.Writer.TryWrite(new HistoryLoaded(agentId, call.CallId, rowId, history));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // The desk goes on without the history; the failure is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogHistoryFailed(agentId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading today's figures for the wallboard failed; it counts from zero: {Error}")]
    private partial void LogSeedFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting pending callbacks for the wallboard failed: {Error}")]
    private partial void LogCallbacksFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the caller's history for agent {AgentId}'s desk failed: {Error}")]
    private partial void LogHistoryFailed(long agentId, string error);
}
