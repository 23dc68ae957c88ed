using System.Globalization;
using System.Reflection;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CityContact.Benchmarks;

// Usage: CityContact.Benchmarks --artifacts DIR --out bench/RESULTS.md [--filter *Pattern*]
var artifacts = Argument("--artifacts") ?? Path.Combine(Path.GetTempPath(), "citycontact-bench");
var output = Argument("--out") ?? "bench/RESULTS.md";
var filter = Argument("--filter");

// Short runs, in process (no per-benchmark project build): `make bench` must finish in minutes on a 2-core machine.
var config = ManualConfig.CreateEmpty()
    .AddJob(Job.ShortRun.WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
    .AddExporter(MarkdownExporter.GitHub)
    .AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default)
    .WithArtifactsPath(artifacts)
    .WithOptions(ConfigOptions.DisableLogFile);

var benchmarkTypes = typeof(IScenarioMeasurement).Assembly.GetTypes()
    .Where(t => !t.IsAbstract && t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkDotNet.Attributes.BenchmarkAttribute>() is not null))
    .Where(t => Matches(t.FullName!))
    .OrderBy(t => t.Name, StringComparer.Ordinal)
    .ToArray();
var scenarios = typeof(IScenarioMeasurement).Assembly.GetTypes()
    .Where(t => !t.IsAbstract && typeof(IScenarioMeasurement).IsAssignableFrom(t) && Matches(t.FullName!))
    .OrderBy(t => t.Name, StringComparer.Ordinal)
    .Select(t => (IScenarioMeasurement)Activator.CreateInstance(t)!)
    .ToArray();

var runLine = $"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.";
var report = new StringBuilder();
report.AppendLine("# CityContact benchmark results");
report.AppendLine();
report.AppendLine(CultureInfo.InvariantCulture, $"{runLine} Written by `make bench`.");
report.AppendLine();

foreach (var scenario in scenarios)
{
    Console.WriteLine($"scenario: {scenario.Title}");
    report.AppendLine(CultureInfo.InvariantCulture, $"## {scenario.Title}");
    report.AppendLine();
    if (filter is not null)
    {
        report.AppendLine(CultureInfo.InvariantCulture, $"{runLine} Written by `scripts/bench.sh --filter {filter}`.");
        report.AppendLine();
    }
    if (scenario.Description is { } description)
    {
        report.AppendLine(description);
        report.AppendLine();
    }
    IReadOnlyList<MeasuredFigure> figures;
    try
    {
        figures = await scenario.RunAsync(CancellationToken.None);
    }
    catch (Exception e)
    {
        // One broken scenario must not cost the others' results; the table says it failed and why.
        Console.Error.WriteLine($"scenario failed: {scenario.Title}: {e}");
        report.AppendLine(CultureInfo.InvariantCulture, $"(failed: {e.GetType().Name}: {e.Message})");
        report.AppendLine();
        continue;
    }
    report.AppendLine("| figure | value | unit | note |");
    report.AppendLine("|---|---:|---|---|");
    foreach (var figure in figures)
    {
        report.AppendLine(CultureInfo.InvariantCulture, $"| {figure.Name} | {figure.Value:#,0.##} | {figure.Unit} | {figure.Note} |");
    }
    report.AppendLine();
}

foreach (var type in benchmarkTypes)
{
    Summary summary = BenchmarkRunner.Run(type, config);
    var markdown = Directory.GetFiles(summary.ResultsDirectoryPath, $"*{type.Name}-report-github.md").FirstOrDefault();
    report.AppendLine(CultureInfo.InvariantCulture, $"## {type.Name}");
    report.AppendLine();
    report.AppendLine(markdown is null ? "(no results: the benchmark failed, see the console output)" : ResultTable(File.ReadAllText(markdown)));
    report.AppendLine();
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
// A filtered run measured only some sections: the others keep their last results.
var results = filter is not null && File.Exists(output) ? Merge(await File.ReadAllTextAsync(output), report.ToString()) : report.ToString();
await File.WriteAllTextAsync(output, results);
return 0;

string? Argument(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

bool Matches(string typeName) =>
    filter is null || typeName.Contains(filter.Trim('*'), StringComparison.OrdinalIgnoreCase);

// BenchmarkDotNet's GitHub report starts with an environment block in ``` fences; keep the table only.
static string ResultTable(string markdown)
{
    var lines = markdown.Split('\n');
    return string.Join('\n', lines.SkipWhile(l => !l.StartsWith('|')));
}

// Sections are "## Title" blocks: those of the new report replace the old ones of the same title, in place, or come last.
static string Merge(string previous, string fresh)
{
    var (header, sections) = Sections(previous);
    var (_, measured) = Sections(fresh);
    foreach (var (title, body) in measured)
    {
        var at = sections.FindIndex(s => s.Title == title);
        if (at >= 0)
        {
            sections[at] = (title, body);
        }
        else
        {
            sections.Add((title, body));
        }
    }
    return header + string.Concat(sections.Select(s => s.Body));
}

static (string Header, List<(string Title, string Body)> Sections) Sections(string markdown)
{
    var parts = markdown.Split("\n## ");
    var sections = parts.Skip(1).Select(p => (Title: p[..p.IndexOf('\n', StringComparison.Ordinal)].TrimEnd('\r'), Body: "\n## " + p)).ToList();
    return (parts[0], sections);
}
