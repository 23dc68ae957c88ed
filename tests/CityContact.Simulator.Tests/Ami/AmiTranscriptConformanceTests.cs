using Xunit;

namespace CityContact.Simulator.Tests.Ami;

/// <summary>Each ami-*.json transcript replayed against the simulator's AMI server (see <see cref="AmiFrameComparer"/> for what is not compared).</summary>
public sealed class AmiTranscriptConformanceTests
{
    private static Task<AsteriskSimulator> StartAsync(TimeSpan mediaLength) => AsteriskSimulator.StartAsync(new SimulatorOptions
    {
        // The lab's dialplan: Stasis(citycontact,${EXTEN}).
        TrunkStasisAppData = "citycontact,${EXTEN}",
        DefaultMediaLength = mediaLength,
        AmiFailedLoginDelay = TimeSpan.FromMilliseconds(50),
    });

    private static IEnumerable<AmiTranscriptFrame> Connection(IReadOnlyList<AmiTranscriptFrame> frames, string name) => frames.Where(f => f.Connection == name);

    [Fact]
    public async Task Ami_login_transcript_matches()
    {
        await using var simulator = await StartAsync(TimeSpan.FromMilliseconds(50));
        var frames = AmiTranscript.Load("ami-login.json");

        await AmiReplay.RunAsync(simulator.AmiPort, Connection(frames, "c1"));
        await AmiReplay.RunAsync(simulator.AmiPort, Connection(frames, "c2"));
    }

    [Fact]
    public async Task Ami_contact_status_transcript_matches()
    {
        await using var simulator = await StartAsync(TimeSpan.FromMilliseconds(50));
        var phone = simulator.Phone("agent1");
        var frames = AmiTranscript.Load("ami-contact-status.json");

        await AmiReplay.RunAsync(simulator.AmiPort, frames, new Dictionary<int, Func<Task>>
        {
            [5] = async () =>
            {
                await phone.RegisterAsync();
                await phone.UnregisterAsync();
            },
        });
    }

    [Fact]
    public async Task Ami_call_events_transcript_matches()
    {
        await using var simulator = await StartAsync(TimeSpan.FromMilliseconds(100));
        await using var app = await AriApp.ConnectAsync(simulator);
        var frames = AmiTranscript.Load("ami-call-events.json");

        await AmiReplay.RunAsync(simulator.AmiPort, frames, new Dictionary<int, Func<Task>>
        {
            [5] = async () =>
            {
                var caller = simulator.Trunk.Dial("+15551230001", "100", "Caller 1");
                await caller.WaitForStasisAsync();
                await app.SendAsync(HttpMethod.Post, $"channels/{caller.ChannelId}/answer");
                await app.SendAsync(HttpMethod.Post, $"channels/{caller.ChannelId}/play?media=sound:hello-world");
                await simulator.WaitUntilAsync(s => s.Playbacks.Count == 0);
                await app.SendAsync(HttpMethod.Delete, $"channels/{caller.ChannelId}?reason=normal");
                await caller.WaitForHangupAsync();
            },
        });
    }

    [Fact]
    public async Task Ami_pjsip_lists_transcript_matches()
    {
        await using var simulator = await StartAsync(TimeSpan.FromMinutes(5));
        await using var app = await AriApp.ConnectAsync(simulator);
        await simulator.Phone("agent1").RegisterAsync();
        var caller = simulator.Trunk.Dial("+15551230001", "100", "Caller 1");
        await caller.WaitForStasisAsync();
        await app.SendAsync(HttpMethod.Post, $"channels/{caller.ChannelId}/answer");
        await app.SendAsync(HttpMethod.Post, $"channels/{caller.ChannelId}/play?media=sound:demo-congrats");
        var frames = AmiTranscript.Load("ami-pjsip-lists.json");

        await AmiReplay.RunAsync(simulator.AmiPort, frames, new Dictionary<int, Func<Task>>
        {
            [37] = () => app.SendAsync(HttpMethod.Delete, $"channels/{caller.ChannelId}?reason=normal"),
        });
    }

    [Fact]
    public async Task Ami_originate_transcript_matches()
    {
        await using var simulator = await StartAsync(TimeSpan.FromMilliseconds(50));
        var phone = simulator.Phone("agent1");
        await phone.RegisterAsync();
        phone.AnswerAfter(TimeSpan.FromMilliseconds(100));
        var frames = AmiTranscript.Load("ami-originate.json");

        await AmiReplay.RunAsync(simulator.AmiPort, frames);
    }

    [Fact]
    public async Task Ami_device_state_transcript_matches_with_the_shipped_event_filter()
    {
        // The lab of ami-device-state.json: the shipped manager.conf (user citycontact, its eventfilter) and deskphone 101.
        await using var simulator = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            AmiUser = "citycontact",
            AmiSecret = "amisecret12",
            AmiEventFilter = "Event: (DeviceStateChange|FullyBooted|Shutdown)",
            PhoneEndpoints = ["101"],
            PhoneCallerNames = new Dictionary<string, string> { ["101"] = "Agent 101" },
        });
        await using var app = await AriApp.ConnectAsync(simulator);
        var phone = simulator.Phone("101").AnswerAfter(TimeSpan.FromMilliseconds(100));
        var frames = AmiTranscript.Load("ami-device-state.json");

        await AmiReplay.RunAsync(simulator.AmiPort, frames, new Dictionary<int, Func<Task>>
        {
            // Everything ARI and SIP did in the recording (its context steps), in order; AMI must show only the device states.
            [4] = async () =>
            {
                await phone.RegisterAsync();
                await app.SendAsync(HttpMethod.Post, "channels?endpoint=PJSIP/101&app=citycontact&appArgs=agent&timeout=30");
                await phone.WaitForAnsweredCallAsync();
                await phone.HangUpAsync();
                await phone.UnregisterAsync();
            },
        });
    }
}
