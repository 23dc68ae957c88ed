using System.Text.Json.Nodes;
using CityContact.Tools.AriTranscriptRecorder;

// Records transcripts from a running Asterisk with the shipped configuration (tests/fixtures/asterisk/README.md,
// "Recording new transcripts"). Usage: dotnet run --project tools/AriTranscriptRecorder -- <scenario> <output-dir> [key=value ...]
var scenarios = new Dictionary<string, Func<Lab, string, CancellationToken, Task>>(StringComparer.Ordinal)
{
    ["endpoint-subscription-duplicates"] = Scenarios.EndpointSubscriptionDuplicatesAsync,
    ["device-state"] = Scenarios.DeviceStateAsync,
};
if (args.Length < 2 || !scenarios.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: AriTranscriptRecorder <{string.Join('|', scenarios.Keys)}> <output-dir> [key=value ...]");
    Console.Error.WriteLine($"keys and defaults: {string.Join(' ', Lab.Defaults.Select(d => $"{d.Key}={d.Value}"))}");
    return 2;
}
var settings = new Dictionary<string, string>(Lab.Defaults, StringComparer.Ordinal);
foreach (var pair in args.Skip(2))
{
    var equals = pair.IndexOf('=', StringComparison.Ordinal);
    settings[pair[..equals]] = pair[(equals + 1)..];
}
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
await run(new Lab(settings), args[1], deadline.Token);
return 0;

namespace CityContact.Tools.AriTranscriptRecorder
{
    /// <summary>Where the lab's Asterisk listens and the secrets of the rendered configuration.</summary>
    internal sealed class Lab(IReadOnlyDictionary<string, string> settings)
    {
        public static readonly IReadOnlyDictionary<string, string> Defaults = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["host"] = "127.0.0.1",
            ["ari-port"] = "48088",
            ["ari-user"] = "citycontact",
            ["ari-password"] = "aripassword1",
            ["app"] = "citycontact",
            ["ami-port"] = "45038",
            ["ami-user"] = "citycontact",
            ["ami-secret"] = "amisecret12",
            ["sip"] = "127.0.0.1:45060",
            ["trunk-ip"] = "127.0.0.5",
            ["extension"] = "0256969",
            ["agent"] = "101",
            ["agent-password"] = "agentpass101",
            ["agent-port"] = "5091",
        };

        public string this[string key] => settings[key];

        public int Port(string key) => int.Parse(settings[key], System.Globalization.CultureInfo.InvariantCulture);

        public AriClient Ari(Timeline timeline) => new(timeline, this["host"], Port("ari-port"), this["ari-user"], this["ari-password"]);
    }

    internal static class Scenarios
    {
        private const string Asterisk = "22.10.1";

        /// <summary>Task 1a: with endpoint:PJSIP subscribed, every channel event of the app's own Stasis channel comes twice.</summary>
        public static async Task EndpointSubscriptionDuplicatesAsync(Lab lab, string output, CancellationToken ct)
        {
            var timeline = new Timeline();
            var work = Directory.CreateTempSubdirectory("cc-recorder-").FullName;
            await using var ari = lab.Ari(timeline);
            await ari.ConnectEventsAsync("ws1", lab["app"], ct);
            await ari.RequestAsync("POST", $"/ari/applications/{lab["app"]}/subscription", [("eventSource", "endpoint:PJSIP")], ct);

            using var caller = new SippCaller(timeline, work, lab["trunk-ip"], lab["sip"]);
            caller.Start(lab["extension"], TimeSpan.FromSeconds(3), '2', ct);
            var start = await ari.WaitForAsync("StasisStart", ct);
            var channel = start["channel"]!["id"]!.GetValue<string>();
            await ari.RequestAsync("POST", $"/ari/channels/{channel}/answer", [], ct);
            await ari.RequestAsync("POST", $"/ari/channels/{channel}/play", [("media", "sound:hello-world")], ct);
            await ari.WaitForAsync("ChannelDtmfReceived", ct);
            await ari.RequestAsync("DELETE", $"/ari/channels/{channel}", [("reason", "normal")], ct);
            await caller.WaitAsync(ct);
            await ari.WaitForAsync("StasisEnd", ct);
            // Whatever Asterisk still sends about the channel (or the trunk endpoint) after StasisEnd.
            await Task.Delay(TimeSpan.FromSeconds(1.5), ct);

            await Timeline.WriteAsync(Path.Combine(output, "ari-endpoint-subscription-duplicates.json"), new JsonObject
            {
                ["scenario"] = "endpoint-subscription-duplicates",
                ["asterisk"] = Asterisk,
                ["lab"] = LabNote(lab),
                ["description"] = "The app subscribes to endpoint:PJSIP (POST /applications/citycontact/subscription?eventSource=endpoint:PJSIP). "
                    + $"A trunk call to {lab["extension"]} enters Stasis; the app answers and plays sound:hello-world. 3 s after the ACK the caller "
                    + "sends RFC 4733 digit 2; on the first ChannelDtmfReceived the app hangs the channel up (DELETE ?reason=normal). "
                    + "Shows that the app's own Stasis channel's events come twice, byte-identical, while the channel is in Stasis.",
                ["steps"] = timeline.SortedSteps(),
            }, ct);
        }

        /// <summary>Task 1b: a deskphone registers, is originated to (RINGING, INUSE), hangs up and unregisters; ARI and AMI together.</summary>
        public static async Task DeviceStateAsync(Lab lab, string output, CancellationToken ct)
        {
            var timeline = new Timeline();
            var work = Directory.CreateTempSubdirectory("cc-recorder-").FullName;
            var agent = lab["agent"];
            var device = $"PJSIP/{agent}";

            await using var ami = new AmiClient(timeline, "c1");
            await ami.ConnectAsync(lab["host"], lab.Port("ami-port"), ct);
            await Task.Delay(200, ct);
            await ami.SendAsync($"Action: Login\r\nActionID: login-1\r\nUsername: {lab["ami-user"]}\r\nSecret: {lab["ami-secret"]}\r\n\r\n", ct);
            await Task.Delay(300, ct);

            await using var ari = lab.Ari(timeline);
            await ari.ConnectEventsAsync("ws1", lab["app"], ct);
            await ari.RequestAsync("POST", $"/ari/applications/{lab["app"]}/subscription", [("eventSource", $"deviceState:{device}")], ct);
            await ari.RequestAsync("GET", $"/ari/deviceStates/PJSIP%2F{agent}", [], ct);

            bool IsState(JsonObject ev, string state) => ev["device_state"]?["state"]?.GetValue<string>() == state;
            var phone = new PjsuaPhone(timeline, work, agent, lab["agent-password"], lab["sip"], lab.Port("agent-port"));
            await Task.Delay(500, ct);
            timeline.Step(Timeline.Stimulus(timeline.Now, $"{agent} phone registers (REGISTER Expires: 60, digest auth)"));
            phone.Start();
            await ari.WaitForAsync("DeviceStateChanged", ct, ev => IsState(ev, "NOT_INUSE"));
            await Task.Delay(1000, ct);

            await ari.RequestAsync("POST", "/ari/channels", [("endpoint", device), ("app", lab["app"]), ("appArgs", "agent"), ("timeout", "30")], ct);
            await ari.WaitForAsync("DeviceStateChanged", ct, ev => IsState(ev, "RINGING"));
            await Task.Delay(2000, ct);
            timeline.Step(Timeline.Stimulus(timeline.Now, $"{agent} phone answers (200 OK)"));
            await phone.CommandAsync("a", "200");
            await ari.WaitForAsync("StasisStart", ct);
            await Task.Delay(2000, ct);
            timeline.Step(Timeline.Stimulus(timeline.Now, $"{agent} phone hangs up (BYE)"));
            await phone.CommandAsync("h");
            await ari.WaitForAsync("DeviceStateChanged", ct, ev => IsState(ev, "NOT_INUSE"));
            await Task.Delay(1000, ct);

            timeline.Step(Timeline.Stimulus(timeline.Now, $"{agent} phone unregisters (REGISTER Expires: 0)"));
            await phone.CommandAsync("ru");
            await ari.WaitForAsync("DeviceStateChanged", ct, ev => IsState(ev, "UNAVAILABLE"));
            await Task.Delay(500, ct);
            await phone.QuitAsync(ct);
            await ari.RequestAsync("GET", $"/ari/deviceStates/PJSIP%2F{agent}", [], ct);
            await ami.SendAsync("Action: Logoff\r\nActionID: logoff-1\r\n\r\n", ct);
            await Task.Delay(500, ct);

            var steps = timeline.SortedSteps();
            await Timeline.WriteAsync(Path.Combine(output, "ari-device-state.json"), new JsonObject
            {
                ["scenario"] = "device-state",
                ["asterisk"] = Asterisk,
                ["lab"] = LabNote(lab),
                ["description"] = $"The app subscribes to deviceState:{device} only. The agent's deskphone (pjsua) registers (Expires: 60, digest auth); "
                    + $"the app originates to {device} (appArgs agent, timeout 30); the phone rings for 2 s and answers; the channel enters Stasis; "
                    + "2 s later the phone hangs up (BYE); 1 s later it unregisters (Expires: 0). An AMI session ran alongside (ami-device-state.json).",
                ["steps"] = steps,
            }, ct);
            await Timeline.WriteAsync(Path.Combine(output, "ami-device-state.json"), new JsonObject
            {
                ["scenario"] = "device-state",
                ["asterisk"] = Asterisk,
                ["description"] = $"An AMI session of the service's account (read = system,call,reporting; eventfilter = Event: (DeviceStateChange|FullyBooted|Shutdown)) "
                    + $"while {device} registers, is originated to over ARI, answers, hangs up and unregisters (the ARI side is ari-device-state.json, "
                    + "recorded in the same run; its steps are the context here).",
                ["frames"] = timeline.SortedFrames(),
                ["context"] = steps.DeepClone(),
            }, ct);
        }

        /// <summary>
        /// What differs from the lab of the older transcripts (INDEX.md), read by the conformance replay to set the
        /// simulator up the same way: the shipped configuration, its ARI user, dialplan and deskphones.
        /// </summary>
        private static JsonObject LabNote(Lab lab) => new()
        {
            ["config"] = "asterisk-config/ as shipped, rendered by scripts/render-asterisk-config.sh (ports moved, see README.md)",
            ["ari_user"] = lab["ari-user"],
            ["ari_password"] = lab["ari-password"],
            ["trunk_stasis_app_data"] = "citycontact,inbound,${EXTEN}",
            ["trunk_dialplan_noop"] = false,
            // Nothing answers the trunk's qualify OPTIONS at its contact in the lab.
            ["trunk_reachable"] = false,
            ["trunk_caller"] = new JsonObject { ["name"] = "Citizen", ["number"] = "+40722123456" },
            ["phones"] = new JsonObject { [lab["agent"]] = $"Agent {lab["agent"]}" },
        };
    }
}
