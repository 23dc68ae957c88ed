using System.Security.Cryptography;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Infrastructure.Configuration;
using CityContact.Simulator;
using CityContact.Telephony.Ami;
using CityContact.Telephony.Ari;
using ServiceAriOptions = CityContact.Service.Infrastructure.Configuration.AriOptions;
using ServiceAmiOptions = CityContact.Service.Infrastructure.Configuration.AmiOptions;

namespace CityContact.Service.Infrastructure.Telephony;

/// <summary>The built-in simulator used when Ari:Url is empty (development, `make run`, tests).</summary>
public sealed class SimulatorSettings
{
    public const string Section = "Simulator";

    /// <summary>Play the real prompt files (true: playbacks last as long as the recordings) or give every sound <see cref="DefaultMediaLengthMs"/>.</summary>
    public bool UseSoundFiles { get; set; } = true;

    public int DefaultMediaLengthMs { get; set; } = 1400;

    /// <summary>Synthetic citizens dialing the city's number and synthetic agents, so that a development instance shows traffic.</summary>
    public bool SyntheticTraffic { get; set; }

    public string CityNumber { get; set; } = "0256969";

    /// <summary>Mean synthetic calls per hour (Poisson arrivals): one every 12 s, enough to keep <see cref="SyntheticAgents"/> busy with short waits.</summary>
    public double CallsPerHour { get; set; } = 300;

    /// <summary>
    /// With synthetic traffic: the city-hall schedule, while it still has its first-start hours, opens around the clock, so
    /// that the demo's citizens reach the queues (and the wallboard shows them) whenever it runs.
    /// </summary>
    public bool DemoOpenAllHours { get; set; } = true;

    /// <summary>With synthetic traffic: deskphones agent1…agentN of the simulator, each a synthetic agent.</summary>
    public int SyntheticAgents { get; set; } = 6;
}

/// <summary>
/// The ARI and AMI clients of this service, made from the validated settings at start; when Ari:Url is empty, the
/// in-process Asterisk simulator is started first (on free ports, with generated credentials) and both point at it.
/// </summary>
public sealed class AsteriskConnection(
    IOptions<ServiceAriOptions> ari, IOptions<ServiceAmiOptions> ami, IOptions<SimulatorSettings> simulator,
    IOptions<PromptOptions> prompts, IHttpClientFactory http, TimeProvider time, ILoggerFactory loggers) : IAsyncDisposable
{
    private AriClient? _ari;
    private AmiClient? _ami;

    public AriClient Ari => _ari ?? throw new InvalidOperationException("The ARI client is not started yet.");

    public AmiClient? Ami => _ami;

    /// <summary>The in-process simulator, when Ari:Url is empty.</summary>
    public AsteriskSimulator? Simulator { get; private set; }

    public string AppName => ari.Value.App;

    public bool Started => _ari is not null;

    public async Task StartAsync(CancellationToken ct)
    {
        var ariSettings = ari.Value;
        var amiSettings = ami.Value;
        Uri baseUrl;
        string user, password;
        string? amiHost = amiSettings.Host;
        int amiPort = amiSettings.Port;
        string? amiUser = amiSettings.User, amiSecret = amiSettings.Secret;
        if (ariSettings.UsesSimulator)
        {
            user = "cc-" + RandomNumberGenerator.GetHexString(8, lowercase: true);
            password = RandomNumberGenerator.GetHexString(32, lowercase: true);
            var settings = simulator.Value;
            Simulator = await AsteriskSimulator.StartAsync(new SimulatorOptions
            {
                AriUser = user,
                AriPassword = password,
                AmiUser = user,
                AmiSecret = password,
                Time = time,
                SoundsDirectory = settings.UseSoundFiles ? prompts.Value.ResolveSoundsDirectory() : null,
                DefaultMediaLength = TimeSpan.FromMilliseconds(settings.DefaultMediaLengthMs),
                TrunkStasisAppData = ariSettings.App + ",inbound,${EXTEN}",
                PhoneEndpoints = settings.SyntheticTraffic
                    ? [.. Enumerable.Range(1, Math.Max(1, settings.SyntheticAgents)).Select(n => $"agent{n}")]
                    : new SimulatorOptions().PhoneEndpoints,
            }, ct);
            baseUrl = Simulator.AriBaseUrl;
            amiHost = "127.0.0.1";
            amiPort = Simulator.AmiPort;
            amiUser = user;
            amiSecret = password;
        }
        else
        {
            // Asterisk's URL is usually given as …/ari; the client appends ari/… itself.
            var url = ariSettings.Url!.TrimEnd('/');
            baseUrl = new Uri((url.EndsWith("/ari", StringComparison.OrdinalIgnoreCase) ? url[..^4] : url) + "/");
            user = ariSettings.User!;
            password = ariSettings.Password!;
        }
        _ari = new AriClient(http.CreateClient(nameof(AriClient)), new CityContact.Telephony.Ari.AriOptions
        {
            BaseUrl = baseUrl,
            User = user,
            Password = password,
            App = ariSettings.App,
        }, loggers);
        if (!string.IsNullOrWhiteSpace(amiHost))
        {
            _ami = new AmiClient(new CityContact.Telephony.Ami.AmiOptions { Host = amiHost, Port = amiPort, User = amiUser!, Secret = amiSecret! },
                loggers.CreateLogger<AmiClient>());
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ami is not null)
        {
            await _ami.DisposeAsync();
        }
        if (Simulator is not null)
        {
            await Simulator.DisposeAsync();
        }
    }
}
