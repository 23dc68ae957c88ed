using CityContact.Telephony.Fuzz;
using CityContact.Telephony.Tests.Ari;
using Xunit;
using Xunit.Abstractions;

namespace CityContact.Telephony.Tests.Fuzz;

/// <summary>
/// A bounded fuzzing run of both decoders on every `make test` (`make bench` runs millions of inputs): whatever bytes
/// Asterisk or a broken connection sends, the decoders skip what they cannot read, never throw, and keep no memory
/// across frames beyond their frame limit.
/// </summary>
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    private const long Inputs = 40_000;
    private const long MaxRetainedBytes = 16L * 1024 * 1024;

    [Fact]
    public void The_ami_frame_decoder_survives_random_and_mutated_frames_without_growing()
    {
        var outcome = new DecoderFuzzer(Transcripts.Directory).FuzzAmi(Inputs);
        Report(outcome);
        Assert.Empty(outcome.Crashes);
        Assert.True(outcome.Messages > 0, "no frame decoded: the mutations destroyed every seed");
        Assert.True(outcome.RetainedBytes < MaxRetainedBytes, $"{outcome.RetainedBytes} bytes retained");
    }

    [Fact]
    public void The_ari_event_parser_survives_random_and_mutated_frames_without_growing()
    {
        var outcome = new DecoderFuzzer(Transcripts.Directory).FuzzAri(Inputs);
        Report(outcome);
        Assert.Empty(outcome.Crashes);
        Assert.True(outcome.Messages > 0, "no event parsed: the mutations destroyed every seed");
        Assert.True(outcome.RetainedBytes < MaxRetainedBytes, $"{outcome.RetainedBytes} bytes retained");
    }

    private void Report(FuzzOutcome outcome) =>
        output.WriteLine($"FUZZ {outcome.Decoder}: {outcome.Inputs} inputs, {outcome.Bytes / 1024} KiB, {outcome.Messages} decoded, "
            + $"{outcome.Crashes.Count} crashes, {outcome.RetainedBytes / 1024} KiB retained, {outcome.Elapsed.TotalSeconds:F1} s"
            + string.Concat(outcome.Crashes.Select(c => "\n  " + c)));
}
