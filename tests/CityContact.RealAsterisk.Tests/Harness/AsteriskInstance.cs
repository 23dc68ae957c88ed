using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>
/// One real Asterisk on the shipped asterisk-config/, rendered with generated secrets by scripts/render-asterisk-config.sh
/// and adapted by <see cref="AsteriskTestHost"/>, in a temporary directory of its own; stopped and removed on dispose.
/// </summary>
public sealed class AsteriskInstance : IAsyncDisposable
{
    public const string AriUser = "citycontact";
    public const string AmiUser = "citycontact";

    private readonly AsteriskInstallation _installation;
    private readonly Process _process;

    private AsteriskInstance(AsteriskInstallation installation, string root, TestHostLayout layout, IPAddress trunk,
        IReadOnlyDictionary<string, string> secrets, Process process)
    {
        _installation = installation;
        Root = root;
        Layout = layout;
        TrunkAddress = trunk;
        Secrets = secrets;
        _process = process;
    }

    public string Root { get; }

    public TestHostLayout Layout { get; }

    /// <summary>The loopback address pjsip.conf identifies as the provider's trunk: SIPp callers send from it.</summary>
    public IPAddress TrunkAddress { get; }

    /// <summary>The rendering settings (passwords of ARI, AMI, agents' phones).</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; }

    public AsteriskInstallation Installation => _installation;

    public string ConfigFile => Path.Combine(Layout.EtcDirectory, "asterisk.conf");

    /// <summary>The service's sounds directory: Asterisk plays <c>sound:citycontact/…</c> from here, the service writes prompts here.</summary>
    public string SoundsDirectory => Path.Combine(Layout.LibDirectory, "sounds");

    public string MessagesLog => Path.Combine(Layout.LogDirectory, "messages.log");

    /// <summary>app_voicemail's spool (astspooldir/voicemail): the service's Voicemail:FallbackSpoolDirectory.</summary>
    public string VoicemailSpoolDirectory => Path.Combine(Layout.SpoolDirectory, "voicemail");

    /// <summary>The fallback mailbox 9999@citycontact, where the dialplan leaves messages while the service is down.</summary>
    public string FallbackMailboxDirectory => Path.Combine(VoicemailSpoolDirectory, "citycontact", "9999");

    /// <summary>messages.log as it was when Asterisk reported itself fully booted: what loading the configuration logged.</summary>
    public string BootLog { get; private set; } = "";

    /// <summary>How long a shipped prompt plays (its WAV data over its byte rate).</summary>
    public TimeSpan PromptLength(string language, string key)
    {
        var wav = File.ReadAllBytes(Path.Combine(SoundsDirectory, "citycontact", language, key + ".wav"));
        var byteRate = 0;
        for (var offset = 12; offset + 8 <= wav.Length;)
        {
            var id = System.Text.Encoding.ASCII.GetString(wav, offset, 4);
            var size = BitConverter.ToInt32(wav, offset + 4);
            if (id == "fmt ")
            {
                byteRate = BitConverter.ToInt32(wav, offset + 16);
            }
            else if (id == "data" && byteRate > 0)
            {
                return TimeSpan.FromSeconds((double)size / byteRate);
            }
            offset += 8 + size + (size & 1);
        }
        throw new InvalidDataException($"{language}/{key}.wav has no fmt and data chunks");
    }

    public string AriPassword => Secrets["ARI_PASSWORD"];

    public string AmiSecret => Secrets["AMI_SECRET"];

    public string AgentPassword(string extension) => Secrets[$"AGENT_{extension}_PASSWORD"];

    public static async Task<AsteriskInstance> StartAsync(AsteriskInstallation installation, CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("cc-rat-").FullName;
        var trunk = FreePorts.TrunkLoopback();
        var rtpStart = FreePorts.UdpRange(200);
        var layout = new TestHostLayout(
            EtcDirectory: Path.Combine(root, "etc"), LibDirectory: Path.Combine(root, "lib"), SpoolDirectory: Path.Combine(root, "spool"),
            RunDirectory: Path.Combine(root, "run"), LogDirectory: Path.Combine(root, "log"),
            ModulesDirectory: installation.Directories["astmoddir"], SbinDirectory: installation.Directories["astsbindir"],
            SipPort: FreePorts.TcpAndUdp(IPAddress.Loopback), HttpPort: FreePorts.Tcp(IPAddress.Loopback), AmiPort: FreePorts.Tcp(IPAddress.Loopback),
            RtpStart: rtpStart, RtpEnd: rtpStart + 199);
        // `make install` creates the spool's recording directory; ARI's record fails ("No such file or directory") without it.
        foreach (var directory in new[] { layout.EtcDirectory, Path.Combine(layout.SpoolDirectory, "recording"), layout.RunDirectory, layout.LogDirectory })
        {
            Directory.CreateDirectory(directory);
        }
        var secrets = new Dictionary<string, string>
        {
            ["ARI_PASSWORD"] = Secret(), ["AMI_SECRET"] = Secret(), ["TRUNK_IP"] = trunk.ToString(), ["VOICEMAIL_PIN"] = "4812",
            ["AGENT_101_PASSWORD"] = Secret(), ["AGENT_102_PASSWORD"] = Secret(), ["AGENT_103_PASSWORD"] = Secret(), ["AGENT_104_PASSWORD"] = Secret(),
        };
        var repository = CityContact.Service.Tests.Infrastructure.PostgresServer.RepositoryRoot();
        await RunAsync("bash", [Path.Combine(repository, "scripts", "render-asterisk-config.sh"), "--target", layout.EtcDirectory], secrets, ct);
        AsteriskTestHost.Apply(layout);
        PrepareLibDirectory(installation, layout, repository);

        var start = new ProcessStartInfo(installation.Asterisk)
        {
            // -f: in the foreground, so this process is the one to stop; its console output is not needed (messages.log has it).
            ArgumentList = { "-f", "-C", Path.Combine(layout.EtcDirectory, "asterisk.conf") },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{installation.Asterisk} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var instance = new AsteriskInstance(installation, root, layout, trunk, secrets, process);
        try
        {
            await instance.WaitFullyBootedAsync(ct);
            instance.BootLog = instance.ReadLog();
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
        return instance;
    }

    /// <summary>Runs one CLI command (<c>asterisk -rx</c>) and returns its output.</summary>
    public async Task<string> CliAsync(string command, CancellationToken ct) =>
        await RunAsync(_installation.Asterisk, ["-C", ConfigFile, "-rx", command], null, ct);

    /// <summary>
    /// <c>core restart now</c>: Asterisk hangs up every channel and re-executes itself in the same process (run with -f, it
    /// stays this instance's child); returns once the new Asterisk reports itself fully booted.
    /// </summary>
    public async Task RestartNowAsync(CancellationToken ct)
    {
        var before = await UptimeSecondsAsync(ct);
        // The remote console loses its socket as Asterisk goes down: its exit code says nothing about the restart.
        await TryRunAsync(_installation.Asterisk, ["-C", ConfigFile, "-rx", "core restart now"], ct);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Asterisk exited with {_process.ExitCode} instead of restarting; its log:\n{LogTail()}");
            }
            // Before the restart takes effect the old Asterisk still answers, with its longer uptime.
            var result = await TryRunAsync(_installation.Asterisk, ["-C", ConfigFile, "-rx", "core show uptime seconds"], ct);
            if (result.ExitCode == 0 && ParseUptime(result.Output) is { } uptime && uptime < before)
            {
                break;
            }
            await Task.Delay(100, ct);
        }
        await WaitFullyBootedAsync(ct);
    }

    private async Task<long> UptimeSecondsAsync(CancellationToken ct) =>
        ParseUptime(await CliAsync("core show uptime seconds", ct)) ?? throw new InvalidOperationException("no uptime from the CLI");

    private static long? ParseUptime(string output) =>
        System.Text.RegularExpressions.Regex.Match(output, @"System uptime:\s+(\d+)") is { Success: true } m
            ? long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>The last lines of messages.log, for a failure message.</summary>
    public string LogTail(int lines = 40) => string.Join('\n', ReadLog().Split('\n').TakeLast(lines));

    /// <summary>
    /// The lines of messages.log from offset <paramref name="since"/> (a length of <see cref="ReadLog"/> taken earlier) in
    /// which Asterisk says a sound it was asked to play does not exist: whoever was to hear it heard silence.
    /// </summary>
    public IReadOnlyList<string> MissingSounds(int since) =>
        [.. ReadLog()[since..].Split('\n').Where(l => l.Contains("does not exist in any format", StringComparison.Ordinal))];

    public string ReadLog() => File.Exists(MessagesLog) ? ReadShared(MessagesLog) : "";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await CliAsync("core stop now", timeout.Token);
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                // It did not stop when asked: this instance is ours alone, end it.
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        _process.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    private async Task WaitFullyBootedAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Asterisk exited with {_process.ExitCode} while starting; its log:\n{ReadLog()}");
            }
            // Fails at once while the control socket does not exist yet; blocks until FullyBooted once it does.
            var result = await TryRunAsync(_installation.Asterisk, ["-C", ConfigFile, "-rx", "core waitfullybooted"], timeout.Token);
            if (result.ExitCode == 0 && result.Output.Contains("fully booted", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }
            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"Asterisk did not boot within 60 s; last answer '{result.Output}'; its log:\n{ReadLog()}");
            }
        }
    }

    private static void PrepareLibDirectory(AsteriskInstallation installation, TestHostLayout layout, string repository)
    {
        var sounds = Path.Combine(layout.LibDirectory, "sounds");
        Directory.CreateDirectory(sounds);
        // An installed Asterisk has an (empty) keys directory; without it res_crypto logs an error at every boot.
        Directory.CreateDirectory(Path.Combine(layout.LibDirectory, "keys"));
        // Asterisk's own sounds, music on hold and ARI documentation are read only: links to the install.
        // sounds/en holds links to the install's English sounds, plus the city's apology where a city installs it
        // (sounds/<language>/citycontact/service-unavailable.wav, docs/real-asterisk.md): the dialplan's fallback plays it.
        var english = Path.Combine(sounds, "en");
        Directory.CreateDirectory(english);
        foreach (var entry in Directory.EnumerateFileSystemEntries(Path.Combine(installation.VarLib, "sounds", "en")))
        {
            File.CreateSymbolicLink(Path.Combine(english, Path.GetFileName(entry)), entry);
        }
        Directory.CreateDirectory(Path.Combine(english, "citycontact"));
        File.Copy(Path.Combine(repository, "sounds", "citycontact", "en", "service-unavailable.wav"),
            Path.Combine(english, "citycontact", "service-unavailable.wav"));
        foreach (var shared in new[] { "moh", "documentation", "rest-api" })
        {
            File.CreateSymbolicLink(Path.Combine(layout.LibDirectory, shared), Path.Combine(installation.VarLib, shared));
        }
        // The city's prompts are a copy: the service writes uploaded and generated prompts there.
        var shipped = Path.Combine(repository, "sounds", "citycontact");
        foreach (var file in Directory.EnumerateFiles(shipped, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(sounds, "citycontact", Path.GetRelativePath(shipped, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string Secret() => "t" + RandomNumberGenerator.GetHexString(24, lowercase: true);

    /// <summary>Asterisk keeps its log open for writing.</summary>
    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task<string> RunAsync(string file, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, CancellationToken ct)
    {
        var result = await TryRunAsync(file, arguments, ct, environment);
        return result.ExitCode == 0
            ? result.Output
            : throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {result.ExitCode}: {result.Output}");
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(
        string file, IReadOnlyList<string> arguments, CancellationToken ct, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var (exitCode, output, error) = await ChildProcess.RunAsync(start, ct);
        return (exitCode, output + error);
    }
}
