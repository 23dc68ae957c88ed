using CityContact.Telephony.Fuzz;

namespace CityContact.Benchmarks.Telephony;

/// <summary>
/// The long fuzzing run of the AMI frame decoder and the ARI event parser (the bounded one runs in `make test`):
/// millions of random and mutated frames from the transcripts; a crash or retained memory is a failure to fix.
/// </summary>
public sealed class DecoderFuzzing : IScenarioMeasurement
{
    private const long AmiInputs = 2_000_000;
    private const long AriInputs = 1_000_000;

    public string Title => "Decoder fuzzing (AMI frames, ARI events)";

    public string? Description =>
        $"{AmiInputs:N0} AMI and {AriInputs:N0} ARI inputs mutated from the recorded Asterisk 22.10.1 frames (bit flips, inserted, deleted, " +
        "duplicated and spliced spans, NUL/CR/LF/invalid UTF-8, 70-270 KB lines, JSON nested 70-2000 deep, noise), AMI fed in random pieces " +
        "to one long-lived decoder. Crashes must be 0; retained is the managed heap growth after a full collection.";

    public Task<IReadOnlyList<MeasuredFigure>> RunAsync(CancellationToken cancellationToken)
    {
        var directory = Path.Combine(Repository.Root(), "tests", "fixtures", "asterisk", "transcripts");
        var figures = new List<MeasuredFigure>();
        foreach (var outcome in new[] { new DecoderFuzzer(directory).FuzzAmi(AmiInputs), new DecoderFuzzer(directory).FuzzAri(AriInputs) })
        {
            figures.Add(new($"{outcome.Decoder}: inputs", outcome.Inputs, "inputs", $"{outcome.Bytes / (1024 * 1024)} MiB"));
            figures.Add(new($"{outcome.Decoder}: rate", outcome.Inputs / outcome.Elapsed.TotalSeconds, "inputs/s"));
            figures.Add(new($"{outcome.Decoder}: crashes", outcome.Crashes.Count, "exceptions", outcome.Crashes.Count > 0 ? outcome.Crashes[0] : null));
            figures.Add(new($"{outcome.Decoder}: retained", outcome.RetainedBytes / 1024.0, "KiB"));
        }
        return Task.FromResult<IReadOnlyList<MeasuredFigure>>(figures);
    }
}
