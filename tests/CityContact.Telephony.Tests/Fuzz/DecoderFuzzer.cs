using System.Text;
using System.Text.Json;
using CityContact.Telephony.Ami;
using CityContact.Telephony.Ari;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityContact.Telephony.Fuzz;

/// <summary>What a fuzzing run found: inputs tried, the first few exceptions (a decoder must never throw), memory kept.</summary>
public sealed record FuzzOutcome(string Decoder, long Inputs, long Bytes, IReadOnlyList<string> Crashes, long Messages, long RetainedBytes, TimeSpan Elapsed);

/// <summary>
/// Random and mutated frames for the AMI frame decoder and the ARI event parser, seeded from the transcripts of a real
/// Asterisk 22.10.1 (tests/fixtures/asterisk/transcripts): bit flips, inserted and deleted bytes, duplicated and
/// truncated spans, spliced frames, interesting bytes (NUL, CR, LF, ':', quotes, braces, invalid UTF-8), lines and
/// JSON nested far beyond any limit, and plain noise. Shared by the bounded test (make test) and the long run (make bench).
/// A fixed seed makes a failure reproducible.
/// </summary>
public sealed class DecoderFuzzer(string transcriptsDirectory, int seed = 20261207)
{
    private static readonly byte[] Interesting = [0, (byte)'\r', (byte)'\n', (byte)':', (byte)' ', (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)'\\', 0x7F, 0x80, 0xC3, 0xE2, 0xF0, 0xFF];

    private readonly Random _random = new(seed);

    public FuzzOutcome FuzzAmi(long inputs)
    {
        var seeds = AmiSeeds();
        var crashes = new List<string>();
        long bytes = 0, messages = 0;
        var output = new List<AmiMessage>();
        var started = DateTime.UtcNow;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        // One long-lived decoder as on a real connection (state carried across inputs), plus a fresh one now and then.
        var decoder = new AmiFrameDecoder(expectBanner: true, maxFrameBytes: 64 * 1024);
        for (long i = 0; i < inputs; i++)
        {
            var input = Mutate(seeds[_random.Next(seeds.Length)], seeds);
            bytes += input.Length;
            try
            {
                if (i % 1000 == 0)
                {
                    decoder = new AmiFrameDecoder(expectBanner: _random.Next(2) == 0, maxFrameBytes: 64 * 1024);
                }
                // Fed in random pieces: TCP splits frames anywhere.
                for (var offset = 0; offset < input.Length;)
                {
                    var piece = Math.Min(input.Length - offset, 1 + _random.Next(Math.Max(1, input.Length)));
                    decoder.Feed(input.AsSpan(offset, piece), output);
                    offset += piece;
                }
                messages += output.Count;
                output.Clear();
                if (i % 7 == 0)
                {
                    _ = AmiFrameDecoder.ParseFrame(Encoding.UTF8.GetString(input));
                }
            }
#pragma warning disable CA1031 // a crash is what the fuzzer reports
            catch (Exception e)
#pragma warning restore CA1031
            {
                Report(crashes, e, input);
            }
        }
        decoder = null;
        GC.KeepAlive(decoder);
        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        return new FuzzOutcome("AMI frame decoder", inputs, bytes, crashes, messages, retained, DateTime.UtcNow - started);
    }

    public FuzzOutcome FuzzAri(long inputs)
    {
        var seeds = AriSeeds();
        var parser = new AriEventParser(NullLogger<AriEventParser>.Instance);
        var crashes = new List<string>();
        long bytes = 0, messages = 0;
        var started = DateTime.UtcNow;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (long i = 0; i < inputs; i++)
        {
            var input = Mutate(seeds[_random.Next(seeds.Length)], seeds);
            bytes += input.Length;
            try
            {
                if (parser.Parse(input) is not null)
                {
                    messages++;
                }
            }
#pragma warning disable CA1031 // a crash is what the fuzzer reports
            catch (Exception e)
#pragma warning restore CA1031
            {
                Report(crashes, e, input);
            }
        }
        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(parser);
        return new FuzzOutcome("ARI event parser", inputs, bytes, crashes, messages, retained, DateTime.UtcNow - started);
    }

    private static void Report(List<string> crashes, Exception e, byte[] input)
    {
        if (crashes.Count < 10)
        {
            crashes.Add($"{e.GetType().Name}: {e.Message} on {Convert.ToBase64String(input.AsSpan(0, Math.Min(input.Length, 300)))}");
        }
    }

    private byte[] Mutate(byte[] original, byte[][] seeds)
    {
        var data = new List<byte>(original);
        var rounds = 1 + _random.Next(4);
        for (var round = 0; round < rounds; round++)
        {
            var at = data.Count == 0 ? 0 : _random.Next(data.Count);
            switch (_random.Next(11))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    data.Insert(at, Interesting[_random.Next(Interesting.Length)]);
                    break;
                case 2 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(16)));
                    break;
                case 3 when data.Count > 0:
                    var length = Math.Min(data.Count - at, 1 + _random.Next(64));
                    data.InsertRange(_random.Next(data.Count), data.GetRange(at, length));
                    break;
                case 4 when data.Count > 0:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5:
                    var other = seeds[_random.Next(seeds.Length)];
                    data.InsertRange(at, other.AsSpan(0, _random.Next(other.Length + 1)).ToArray());
                    break;
                case 6:
                    data.InsertRange(at, RandomBytes(1 + _random.Next(32)));
                    break;
                case 7 when _random.Next(50) == 0:
                    // A line (or a JSON string) far longer than any frame limit.
                    data.InsertRange(at, Enumerable.Repeat((byte)'A', 70_000 + _random.Next(200_000)));
                    break;
                case 8 when _random.Next(50) == 0:
                    // JSON nested beyond the reader's depth limit.
                    var depth = 70 + _random.Next(2000);
                    data.InsertRange(at, Enumerable.Repeat((byte)'[', depth).Concat(Enumerable.Repeat((byte)']', _random.Next(depth + 1))));
                    break;
                case 9 when data.Count > 0:
                    data[at] = Interesting[_random.Next(Interesting.Length)];
                    break;
                case 10 when _random.Next(20) == 0:
                    return RandomBytes(_random.Next(512));
            }
        }
        return [.. data];
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>What Asterisk sent on AMI connections, as whole streams and frame by frame.</summary>
    private byte[][] AmiSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (var file in Directory.GetFiles(transcriptsDirectory, "ami-*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            if (!document.RootElement.TryGetProperty("frames", out var frames))
            {
                continue;
            }
            var stream = new StringBuilder();
            foreach (var frame in frames.EnumerateArray().Where(f => f.TryGetProperty("dir", out var d) && d.GetString() == "in"))
            {
                var text = frame.GetProperty("text").GetString()!;
                seeds.Add(Encoding.UTF8.GetBytes(text));
                stream.Append(text);
            }
            seeds.Add(Encoding.UTF8.GetBytes(stream.ToString()));
        }
        return seeds.Count > 0 ? [.. seeds] : throw new InvalidOperationException($"no AMI frames in {transcriptsDirectory}");
    }

    /// <summary>Every WebSocket text frame Asterisk sent to the ARI app.</summary>
    private byte[][] AriSeeds()
    {
        var seeds = new List<byte[]>();
        foreach (var file in Directory.GetFiles(transcriptsDirectory, "ari-*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            if (!document.RootElement.TryGetProperty("steps", out var steps))
            {
                continue;
            }
            foreach (var step in steps.EnumerateArray())
            {
                if (step.GetProperty("kind").GetString() == "event" && step.TryGetProperty("raw", out var raw))
                {
                    seeds.Add(Encoding.UTF8.GetBytes(raw.GetString()!));
                }
            }
        }
        return seeds.Count > 0 ? [.. seeds] : throw new InvalidOperationException($"no ARI frames in {transcriptsDirectory}");
    }
}
