namespace CityContact.Benchmarks;

/// <summary>
/// A measurement of a whole scenario (e.g. how many concurrent calls the simulator sustains) rather than of one
/// method: BenchmarkDotNet's statistics do not fit it, so it reports its own named figures.
/// Implementations need a public parameterless constructor; they are discovered by reflection.
/// </summary>
public interface IScenarioMeasurement
{
    string Title { get; }

    /// <summary>How to read the figures (what is measured, how), written under the title; none by default.</summary>
    string? Description => null;

    Task<IReadOnlyList<MeasuredFigure>> RunAsync(CancellationToken cancellationToken);
}

public sealed record MeasuredFigure(string Name, double Value, string Unit, string? Note = null);
