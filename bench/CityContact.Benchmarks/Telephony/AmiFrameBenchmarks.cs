using BenchmarkDotNet.Attributes;
using CityContact.Telephony.Ami;

namespace CityContact.Benchmarks.Telephony;

/// <summary>AMI frames decoded per second from the byte stream a real Asterisk sent; one operation = one frame.</summary>
[MemoryDiagnoser]
public class AmiFrameBenchmarks
{
    private const int Copies = 100;
    private byte[] _stream = [];
    private readonly List<AmiMessage> _output = new(4096);

    [GlobalSetup]
    public void Setup()
    {
        var (stream, frames) = RecordedFrames.AmiStream();
        if (frames * Copies != FramesPerInvoke)
        {
            throw new InvalidOperationException($"the transcripts hold {frames} AMI frames from Asterisk; update FramesPerInvoke to {frames * Copies}");
        }
        _stream = [.. Enumerable.Repeat(stream, Copies).SelectMany(b => b)];
    }

    // Checked in Setup so that the per-operation figures are per frame exactly.
    private const int FramesPerInvoke = 13_100;

    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int Decode()
    {
        _output.Clear();
        // Fed in 1,460-byte slices, the size TCP segments arrive in, so frames straddle reads as on the wire.
        var decoder = new AmiFrameDecoder(expectBanner: false);
        for (var offset = 0; offset < _stream.Length; offset += 1460)
        {
            decoder.Feed(_stream.AsSpan(offset, Math.Min(1460, _stream.Length - offset)), _output);
        }
        return _output.Count;
    }
}
