using System.Diagnostics;

namespace CityContact.AsteriskConfig.Tests;

internal sealed record RenderResult(int ExitCode, string Output, string Error);

/// <summary>Runs scripts/render-asterisk-config.sh as a process with exactly the given settings.</summary>
internal static class RenderScript
{
    /// <summary>Settings a city would provide; every test starts from these.</summary>
    public static Dictionary<string, string> CompleteSettings() => new()
    {
        ["ARI_PASSWORD"] = "ari-Test-Pass&/\\word",
        ["AMI_SECRET"] = "ami-Test-Secret-42",
        ["TRUNK_IP"] = "203.0.113.10",
        ["VOICEMAIL_PIN"] = "4812",
        ["AGENT_101_PASSWORD"] = "agent-101-pass",
        ["AGENT_102_PASSWORD"] = "agent-102-pass",
        ["AGENT_103_PASSWORD"] = "agent-103-pass",
        ["AGENT_104_PASSWORD"] = "agent-104-pass",
    };

    public static async Task<RenderResult> RunAsync(IReadOnlyDictionary<string, string> settings, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepositoryPaths.RenderScript);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only the given settings: nothing leaks in from the machine running the tests.
        start.Environment.Clear();
        start.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        start.Environment["HOME"] = Path.GetTempPath();
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return new RenderResult(process.ExitCode, await output, await error);
    }
}

/// <summary>A temporary directory removed at the end of the test.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("citycontact-asterisk-config-").FullName;

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>The shipped config rendered once with <see cref="RenderScript.CompleteSettings"/>: what Asterisk would read.</summary>
public sealed class RenderedConfig : IAsyncLifetime
{
    private readonly string _root = System.IO.Directory.CreateTempSubdirectory("citycontact-rendered-").FullName;

    internal string Directory => System.IO.Path.Combine(_root, "etc-asterisk");

    internal Parsing.AsteriskConfigFile Load(string fileName) =>
        Parsing.AsteriskConfigFile.Load(System.IO.Path.Combine(Directory, fileName));

    public async Task InitializeAsync()
    {
        var result = await RenderScript.RunAsync(RenderScript.CompleteSettings(), ["--target", Directory]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"rendering failed ({result.ExitCode}): {result.Error}");
        }
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}
