using System.Globalization;
using System.Runtime.InteropServices;
using CityContact.Simulator;
using CityContact.Simulator.Clock;
using CityContact.Simulator.Traffic;
using Microsoft.Extensions.Logging;

// The simulator as its own process: `dotnet run --project src/CityContact.Simulator -- --traffic --rate 120`.
StandaloneOptions options;
try
{
    options = StandaloneOptions.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"{e.Message}\n\n{StandaloneOptions.Usage}");
    return 2;
}
if (options.ShowHelp)
{
    Console.WriteLine(StandaloneOptions.Usage);
    return 0;
}

using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Information));
var logger = loggers.CreateLogger("CityContact.Simulator");
using var stop = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

TimeProvider time = options.ClockScale == 1 ? TimeProvider.System : new ScaledTimeProvider(options.ClockScale);
var agents = Enumerable.Range(1, options.Agents).Select(n => string.Create(CultureInfo.InvariantCulture, $"agent{n}")).ToArray();
await using var simulator = await AsteriskSimulator.StartAsync(new SimulatorOptions
{
    ListenAddress = options.ListenAddress,
    AriPort = options.AriPort,
    AmiPort = options.AmiPort,
    AriUser = options.User,
    AriPassword = options.Password,
    AmiUser = options.User,
    AmiSecret = options.Password,
    SoundsDirectory = options.SoundsDirectory,
    Time = time,
    PhoneEndpoints = agents,
    PhoneCallerNames = agents.ToDictionary(a => a, a => "Agent " + a[5..], StringComparer.Ordinal),
}, stop.Token);
logger.LogInformation("ARI listening on {AriUrl}ari/ (events at {Events}), AMI on port {AmiPort}, user {User}",
    simulator.AriBaseUrl, new UriBuilder(simulator.AriBaseUrl) { Scheme = "ws", Path = "ari/events" }.Uri, simulator.AmiPort, options.User);
logger.LogInformation("Clock ×{Scale}; sounds from {Sounds}; phone endpoints: {Agents}",
    options.ClockScale, options.SoundsDirectory ?? "(none: every sound exists)", agents.Length == 0 ? "(none)" : string.Join(", ", agents));

await using var traffic = options.Traffic
    ? SyntheticTraffic.Start(simulator, new SyntheticTrafficOptions
    {
        RatePerHour = options.RatePerHour,
        AgentEndpoints = agents,
        Seed = options.Seed,
        CalledNumbers = [options.CalledNumber],
    }, loggers.CreateLogger("CityContact.Simulator.Traffic"))
    : null;

try
{
    while (!stop.IsCancellationRequested)
    {
        await Task.Delay(TimeSpan.FromSeconds(30), stop.Token);
        if (traffic is not null)
        {
            logger.LogInformation("Traffic: {Counters}", traffic.Counters);
        }
    }
}
catch (OperationCanceledException)
{
    logger.LogInformation("Stopping");
}
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true; // stop cleanly below instead of being killed mid-call
    stop.Cancel();
}

/// <summary>The standalone process's settings: command line first, then SIM_* environment variables, then defaults.</summary>
internal sealed record StandaloneOptions
{
    public const string Usage = """
        CityContact.Simulator: a simulated Asterisk 22 (ARI + AMI) with optional synthetic traffic.

        Options (environment variable in brackets):
          --listen ADDRESS     address to bind (SIM_LISTEN, default 127.0.0.1)
          --ari-port N         ARI HTTP/WebSocket port (SIM_ARI_PORT, default 8088)
          --ami-port N         AMI TCP port (SIM_AMI_PORT, default 5038)
          --user NAME          ARI and AMI user (SIM_USER, default cc)
          --password SECRET    ARI password and AMI secret (SIM_PASSWORD, default cc)
          --sounds DIR         sounds directory; missing files fail playbacks (SIM_SOUNDS, default: every sound exists)
          --clock-scale X      virtual seconds per real second (SIM_CLOCK_SCALE, default 1)
          --traffic            start synthetic callers (SIM_TRAFFIC=1)
          --rate N             calls per hour (SIM_RATE, default 60)
          --number NUMBER      number the callers dial (SIM_NUMBER, default 0256969)
          --agents N           synthetic agents on endpoints agent1..agentN (SIM_AGENTS, default 2)
          --seed N             seed for every random draw (SIM_SEED, default random)
          --help               this text
        """;

    public bool ShowHelp { get; init; }
    public string ListenAddress { get; init; } = "127.0.0.1";
    public int AriPort { get; init; } = 8088;
    public int AmiPort { get; init; } = 5038;
    public string User { get; init; } = "cc";
    public string Password { get; init; } = "cc";
    public string? SoundsDirectory { get; init; }
    public double ClockScale { get; init; } = 1;
    public bool Traffic { get; init; }
    public double RatePerHour { get; init; } = 60;
    public string CalledNumber { get; init; } = "0256969";
    public int Agents { get; init; } = 2;
    public int? Seed { get; init; }

    public static StandaloneOptions Parse(string[] args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                case "--traffic":
                    flags.Add(args[i] == "-h" ? "--help" : args[i]);
                    break;
                case "--listen" or "--ari-port" or "--ami-port" or "--user" or "--password" or "--sounds" or "--clock-scale"
                    or "--rate" or "--number" or "--agents" or "--seed":
                    if (i + 1 >= args.Length)
                    {
                        throw new ArgumentException($"{args[i]} needs a value.");
                    }
                    values[args[i]] = args[++i];
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        string? Value(string option, string variable) => values.TryGetValue(option, out var v) ? v : environment(variable);
        var options = new StandaloneOptions
        {
            ShowHelp = flags.Contains("--help"),
            ListenAddress = Value("--listen", "SIM_LISTEN") ?? "127.0.0.1",
            AriPort = Number("--ari-port", Value("--ari-port", "SIM_ARI_PORT"), 8088, 0, 65535),
            AmiPort = Number("--ami-port", Value("--ami-port", "SIM_AMI_PORT"), 5038, 0, 65535),
            User = Value("--user", "SIM_USER") ?? "cc",
            Password = Value("--password", "SIM_PASSWORD") ?? "cc",
            SoundsDirectory = Value("--sounds", "SIM_SOUNDS"),
            ClockScale = Real("--clock-scale", Value("--clock-scale", "SIM_CLOCK_SCALE"), 1),
            Traffic = flags.Contains("--traffic") || environment("SIM_TRAFFIC") is "1" or "true",
            RatePerHour = Real("--rate", Value("--rate", "SIM_RATE"), 60),
            CalledNumber = Value("--number", "SIM_NUMBER") ?? "0256969",
            Agents = Number("--agents", Value("--agents", "SIM_AGENTS"), 2, 0, 10_000),
            Seed = Value("--seed", "SIM_SEED") is { } seed ? Number("--seed", seed, 0, int.MinValue, int.MaxValue) : null,
        };
        if (options.SoundsDirectory is { } sounds && !Directory.Exists(sounds))
        {
            throw new ArgumentException($"--sounds: directory {sounds} does not exist.");
        }
        return options;
    }

    private static int Number(string option, string? text, int fallback, int min, int max)
    {
        if (text is null)
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{option}: '{text}' is not a whole number between {min} and {max}.");
    }

    private static double Real(string option, string? text, double fallback)
    {
        if (text is null)
        {
            return fallback;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentException($"{option}: '{text}' is not a positive number.");
    }
}
