using System.Collections.Concurrent;
using System.Globalization;

namespace CityContact.Simulator.Ami;

/// <summary>An AMI Originate in flight: OriginateResponse repeats the request's fields, not the channel's (manager.c fast_originate).</summary>
/// <param name="Channel">The requested <c>Tech/Resource</c>, reported when no channel could be allocated.</param>
/// <param name="Async">Only an async Originate gets an OriginateResponse event; a synchronous one answers when it completes.</param>
internal sealed record AmiOriginateRequest(string? ActionId, string Channel, string Application, string Data, string CallerNumber, string CallerName, bool Async)
{
    /// <summary>Completes with the outcome (true when answered) when the core reports it.</summary>
    public TaskCompletionSource<bool> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The AMI Originates in flight, by the correlation id the core carries back in <c>OriginateCompleted</c>.</summary>
internal sealed class AmiOriginates
{
    private readonly ConcurrentDictionary<string, AmiOriginateRequest> _pending = new(StringComparer.Ordinal);
    private long _next;

    public string Add(AmiOriginateRequest request)
    {
        var id = "ami-originate-" + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
        _pending[id] = request;
        return id;
    }

    public AmiOriginateRequest? Take(string? correlationId)
        => correlationId is not null && _pending.TryRemove(correlationId, out var request) ? request : null;
}
