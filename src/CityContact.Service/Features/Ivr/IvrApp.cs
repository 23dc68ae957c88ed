using System.Collections.Concurrent;
using CityContact.Service.Features.Calls;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Infrastructure.Configuration;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using Prometheus;

namespace CityContact.Service.Features.Ivr;

/// <summary>
/// The inbound side of the Stasis app: a StasisStart with args <c>inbound,&lt;dialed&gt;</c> gets a <see cref="CallHandler"/>;
/// every later event of that channel (or of its transfer leg) goes to the handler's inbox. After an ARI reconnect or a
/// restart, calls still in the app are found again in Asterisk's channel list and re-adopted.
/// </summary>
public sealed partial class IvrApp(
    AsteriskConnection asterisk, CallRecorder recorder, PromptCatalog prompts, FlowCatalog catalog,
    IOptions<IvrOptions> options, IOptions<CityOptions> city, TimeProvider time, ILogger<IvrApp> logger,
    [FromKeyedServices("queue")] ICallHandover queues, [FromKeyedServices("voicemail")] ICallHandover voicemail,
    [FromKeyedServices("ticket-status")] ICallHandover ticketStatus, [FromKeyedServices("survey")] ICallHandover survey,
    IEnumerable<IStasisListener> listeners)
{
    public const string InboundArg = "inbound";
    public const string TransferArg = "transfer";

    /// <summary>
    /// An outbound survey call answered by the citizen: args <c>survey,&lt;ticket number&gt;,&lt;citizen's number&gt;</c>; the
    /// number is the call row's dialled number (the originated channel carries only the city's caller id).
    /// </summary>
    public const string SurveyArg = "survey";

    private static readonly Gauge ActiveCallsGauge = Metrics.CreateGauge("citycontact_ivr_active_calls", "Calls in the IVR right now.");
    private static readonly Counter CallsStarted = Metrics.CreateCounter("citycontact_ivr_calls_total", "Inbound calls taken by the IVR.");

    private static readonly TimeSpan AdoptionGrace = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<string, CallHandler> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CallHandler> _legs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private int _timers;
    private CancellationToken _stopping;

    internal AriRestClient Ari => asterisk.Ari.Rest;
    internal CallRecorder Recorder => recorder;
    internal PromptCatalog Prompts => prompts;
    internal FlowCatalog Catalog => catalog;
    internal IvrOptions Options => options.Value;
    internal TimeProvider Time => time;
    internal ILogger Logger => logger;
    internal ICallHandover Queues => queues;
    internal IResumableHandover? ResumableQueues => queues as IResumableHandover;
    internal ICallHandover Voicemail => voicemail;
    internal ICallHandover TicketStatus => ticketStatus;
    internal ICallHandover Survey => survey;
    internal string AppName => asterisk.AppName;

    /// <summary>Calls with a live handler.</summary>
    public int ActiveCalls => _calls.Count;

    /// <summary>Digit timers not yet fired or disposed.</summary>
    public int ActiveTimers => Volatile.Read(ref _timers);

    public IReadOnlyCollection<CallHandler> Calls => [.. _calls.Values];

    /// <summary>Completes when every call handler has finished (tests, shutdown).</summary>
    public Task WhenAllEndedAsync() => Task.WhenAll(_running.Values);

    /// <summary>The ARI event handler: runs on the dispatcher's lane for the event's channel, so it must not block.</summary>
    public ValueTask HandleAsync(AriMessage message, CancellationToken ct)
    {
        _stopping = ct;
        switch (message)
        {
            case StasisStart start when start.Args is [InboundArg, ..]:
                Start(start.Channel, start.Args is [_, var dialed, ..] ? dialed : start.Channel.Dialplan?.Exten ?? "", adopted: false);
                break;
            case StasisStart start when start.Args is [SurveyArg, var ticket, ..]:
                Start(start.Channel, start.Args is [_, _, var citizen, ..] ? citizen : SurveyArg, adopted: false, Surveys.SurveyFlow.Runnable, ticket);
                break;
            case StasisStart start when start.Args is [TransferArg, var owner] && _calls.TryGetValue(owner, out var handler):
                handler.Post(new AriStimulus(message));
                break;
            default:
                var key = AriEventLanes.KeyOf(message);
                if (_calls.TryGetValue(key, out var call) || _legs.TryGetValue(key, out call))
                {
                    call.Post(new AriStimulus(message));
                }
                else
                {
                    foreach (var listener in listeners)
                    {
                        listener.Handle(message);
                    }
                }
                break;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// After a reconnect (Asterisk replays nothing): calls we hold that left meanwhile are ended, the others resync their
    /// playbacks; calls in the app that nobody holds (a restart) are adopted: back at the place a resumable handover left
    /// on the channel (a caller waiting in a queue, or talking to an agent), else to the operator fallback.
    /// </summary>
    public async Task ReadoptAsync(CancellationToken ct)
    {
        var channels = await asterisk.Ari.ListOurChannelsAsync(ct);
        var present = channels.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (channelId, handler) in _calls)
        {
            handler.Post(new Resync(present.Contains(channelId)));
        }
        var unknown = channels.Where(c => !_calls.ContainsKey(c.Id) && !_legs.ContainsKey(c.Id)).ToList();
        if (unknown.Count == 0)
        {
            return;
        }
        // A call that arrived while the socket was coming up is in the list and its StasisStart is on its way: give the
        // event a moment so that such a call runs its flow instead of being adopted.
        await Task.Delay(AdoptionGrace, time, ct);
        var inbound = unknown.Where(c => !_calls.ContainsKey(c.Id) && c.Dialplan?.AppData.Split(',') is [_, InboundArg, ..]).ToList();
        // Every place is reclaimed before any call resumes: an agent still talking to one caller must be known busy
        // before another re-adopted caller rejoins a queue and gets offered that agent.
        var places = new HandoverPlace?[inbound.Count];
        if (ResumableQueues is { } resumable)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, inbound.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
                async (i, token) => places[i] = await resumable.ReclaimAsync(inbound[i].Id, token));
        }
        for (var i = 0; i < inbound.Count; i++)
        {
            var channel = inbound[i];
            var dialed = channel.Dialplan!.AppData.Split(',') is [_, _, var number, ..] ? number : channel.Dialplan.Exten ?? "";
            LogAdopting(channel.Id, places[i]?.NodeId ?? "the fallback");
            Start(channel, dialed, adopted: true, resume: places[i]);
        }
    }

    private void Start(Channel channel, string dialed, bool adopted, RunnableFlow? builtIn = null, string? ticket = null, HandoverPlace? resume = null)
    {
        var flow = builtIn ?? catalog.ForNumber(dialed);
        var language = resume?.Language ?? options.Value.NumberLanguages.GetValueOrDefault(dialed) ?? city.Value.DefaultLanguage;
        var context = new CallContext(channel.Id, channel.Caller?.Number ?? "", dialed, language,
            adopted && channel.Creationtime != default ? channel.Creationtime : time.GetUtcNow(), ticket is null ? CallDirections.Inbound : CallDirections.Outbound);
        var handler = new CallHandler(this, context, flow, adopted, resume);
        if (ticket is not null)
        {
            handler.SetVariable("ticket", ticket);
        }
        if (!_calls.TryAdd(channel.Id, handler))
        {
            return;
        }
        CallsStarted.Inc();
        ActiveCallsGauge.Inc();
        _running[channel.Id] = Task.Run(async () =>
        {
            try
            {
                await handler.RunAsync(_stopping);
            }
#pragma warning disable CA1031 // The handler's own failure path has failed too: log it, never take the app down.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogHandlerCrashed(e, channel.Id);
            }
            finally
            {
                _calls.TryRemove(channel.Id, out _);
                _running.TryRemove(channel.Id, out _);
                ActiveCallsGauge.Dec();
            }
        }, CancellationToken.None);
    }

    internal void RegisterLeg(string legId, CallHandler owner) => _legs[legId] = owner;

    internal void ReleaseLeg(string legId) => _legs.TryRemove(legId, out _);

    internal IDisposable StartTimer(Action fire, TimeSpan due)
    {
        Interlocked.Increment(ref _timers);
        return new CountedTimer(this, time.CreateTimer(_ => fire(), null, due, Timeout.InfiniteTimeSpan));
    }

    private sealed class CountedTimer(IvrApp owner, System.Threading.ITimer timer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                timer.Dispose();
                Interlocked.Decrement(ref owner._timers);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-adopting call {ChannelId} found in the Stasis app: back to {Node}")]
    private partial void LogAdopting(string channelId, string node);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Call {ChannelId}: the handler crashed")]
    private partial void LogHandlerCrashed(Exception e, string channelId);
}
