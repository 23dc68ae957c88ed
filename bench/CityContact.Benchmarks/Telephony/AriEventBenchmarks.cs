using BenchmarkDotNet.Attributes;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityContact.Benchmarks.Telephony;

/// <summary>
/// ARI events parsed, and parsed + dispatched in order per channel, per second; bytes allocated per event.
/// One operation = one event (OperationsPerInvoke), so Mean is the time per event and Allocated the bytes per event.
/// </summary>
[MemoryDiagnoser]
public class AriEventBenchmarks : IAsyncDisposable
{
    // The recorded frames repeated over many channels, as a busy contact center's socket would carry them.
    private const int Channels = 200;
    private byte[][] _frames = [];
    private AriEventParser _parser = null!;
    private AriEventDispatcher _dispatcher = null!;

    [GlobalSetup]
    public void Setup()
    {
        var recorded = RecordedFrames.AriEvents();
        var text = recorded.Select(System.Text.Encoding.UTF8.GetString).ToArray();
        // Give every copy its own channel id so that dispatch spreads over many lanes, as many calls do.
        var channelIds = text
            .SelectMany(t => System.Text.RegularExpressions.Regex.Matches(t, "\"id\":\"(\\d+\\.\\d+)\"").Select(m => m.Groups[1].Value))
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        var frames = new List<byte[]>();
        for (var copy = 0; copy < Channels; copy++)
        {
            foreach (var frame in text)
            {
                var renamed = channelIds.Aggregate(frame, (current, id) => current.Replace(id, $"{id}-{copy}", StringComparison.Ordinal));
                frames.Add(System.Text.Encoding.UTF8.GetBytes(renamed));
            }
        }
        _frames = [.. frames];
        if (_frames.Length != EventsPerInvoke)
        {
            throw new InvalidOperationException($"the transcripts hold {recorded.Length} ARI events; update EventsPerInvoke to {_frames.Length}");
        }
        _parser = new AriEventParser(NullLogger<AriEventParser>.Instance);
        _dispatcher = new AriEventDispatcher(static (_, _) => ValueTask.CompletedTask, NullLogger<AriEventDispatcher>.Instance);
    }

    [GlobalCleanup]
    public async ValueTask DisposeAsync()
    {
        await _dispatcher.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    // Checked in Setup so that BenchmarkDotNet's per-operation figures are per event exactly.
    private const int EventsPerInvoke = 37_400;

    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public int Parse()
    {
        var parsed = 0;
        foreach (var frame in _frames)
        {
            if (_parser.Parse(frame) is not null)
            {
                parsed++;
            }
        }
        return parsed;
    }

    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public async Task ParseAndDispatch()
    {
        foreach (var frame in _frames)
        {
            if (_parser.Parse(frame) is AriMessage message)
            {
                await _dispatcher.DispatchAsync(message, CancellationToken.None);
            }
        }
        await _dispatcher.WhenIdleAsync(CancellationToken.None);
    }
}
