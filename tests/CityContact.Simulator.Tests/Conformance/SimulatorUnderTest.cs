using CityContact.Simulator.Scripting;
using Microsoft.Extensions.Time.Testing;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>
/// The simulator set up like the lab that recorded the transcripts (INDEX.md), on port 0, on a virtual clock that the
/// replay moves to each step's recorded time, so a 15 s scenario runs in milliseconds with the same timings.
/// </summary>
public sealed class SimulatorUnderTest : IAsteriskUnderTest
{
    /// <summary>
    /// Lengths of the lab's prompts, measured in the transcripts from PlaybackStarted to PlaybackFinished(done);
    /// demo-congrats never ends in them ("about 30 s", say the descriptions). Written as silent WAV files.
    /// </summary>
    private static readonly Dictionary<string, TimeSpan> LabSounds = new()
    {
        ["hello-world"] = TimeSpan.FromSeconds(1.403),
        ["beep"] = TimeSpan.FromSeconds(0.426),
        ["queue-thankyou"] = TimeSpan.FromSeconds(1.591),
        ["demo-congrats"] = TimeSpan.FromSeconds(30),
    };

    private readonly AsteriskSimulator _simulator;
    private readonly FakeTimeProvider _clock;
    private readonly DateTimeOffset _start;
    private readonly string _directory;
    private readonly Dictionary<string, SimulatedCaller> _calls = new(StringComparer.Ordinal);

    private SimulatorUnderTest(AsteriskSimulator simulator, FakeTimeProvider clock, string directory)
    {
        _simulator = simulator;
        _clock = clock;
        _start = clock.GetUtcNow();
        _directory = directory;
    }

    public Uri AriBaseUrl => _simulator.AriBaseUrl;

    public static async Task<SimulatorUnderTest> StartAsync(CancellationToken ct) => await StartAsync(TranscriptLab.First, ct);

    public static async Task<SimulatorUnderTest> StartAsync(TranscriptLab lab, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("cc-conformance-").FullName;
        var sounds = Path.Combine(directory, "sounds");
        Directory.CreateDirectory(Path.Combine(sounds, "en"));
        foreach (var (name, length) in LabSounds)
        {
            await File.WriteAllBytesAsync(Path.Combine(sounds, "en", name + ".wav"), SilentWav(length), ct);
        }
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var simulator = await AsteriskSimulator.StartAsync(new SimulatorOptions
        {
            Time = clock,
            SoundsDirectory = sounds,
            RecordingsDirectory = Path.Combine(directory, "recordings"),
            AriUser = lab.AriUser,
            AriPassword = lab.AriPassword,
            // The lab's dialplan (the first lab: Stasis(citycontact,${EXTEN}) after a NoOp), and 600 answered natively (ari-errors.json).
            TrunkStasisAppData = lab.TrunkStasisAppData,
            TrunkNoOpData = lab.TrunkDialplanNoOp ? new SimulatorOptions().TrunkNoOpData : null,
            TrunkReachable = lab.TrunkReachable,
            PhoneEndpoints = [.. lab.Phones.Keys],
            PhoneCallerNames = lab.Phones,
            NativeExtensions = new Dictionary<string, string> { ["600"] = "native-demo" },
        }, ct);
        return new SimulatorUnderTest(simulator, clock, directory);
    }

    public Task AdvanceClockToAsync(TimeSpan sinceStart, CancellationToken ct)
    {
        var step = _start + sinceStart - _clock.GetUtcNow();
        if (step > TimeSpan.Zero)
        {
            // Runs every timer due meanwhile, in due order, on this thread.
            _clock.Advance(step);
        }
        return Task.CompletedTask;
    }

    public async Task PerformAsync(StimulusAction action, CancellationToken ct)
    {
        switch (action)
        {
            case CallArrives call:
                _calls[call.CallKey] = _simulator.Trunk.Dial(call.CallerNumber, call.Extension, call.CallerName);
                break;
            case CallerHangsUp hangup:
                await Caller(hangup.CallKey).HangUpAsync(ct);
                break;
            case CallerPresses press:
                await Caller(press.CallKey).PressAsync(press.Digit.ToString(), ct);
                break;
            case CallerSpeaks speech:
                // Without a length SIPp sent its pcap until the call ended; an hour outlasts every scenario.
                Caller(speech.CallKey).Speak(speech.Length ?? TimeSpan.FromHours(1));
                break;
            case PhoneRegisters register:
                await _simulator.Phone(register.Endpoint).RegisterAsync(ct);
                break;
            case PhoneHangsUp hangup:
                await _simulator.Phone(hangup.Endpoint).HangUpAsync(ct);
                break;
            case PhoneUnregisters unregister:
                await _simulator.Phone(unregister.Endpoint).UnregisterAsync(ct);
                break;
            case PhoneAnswersAfter { After: { } after } plan:
                _simulator.Phone(plan.Endpoint).AnswerAfter(after);
                break;
            case PhoneAnswersAfter plan:
                _simulator.Phone(plan.Endpoint).DoNotAnswer();
                break;
            default:
                throw new NotSupportedException($"no simulator action for {action}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _simulator.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private SimulatedCaller Caller(string? callKey) =>
        callKey is not null && _calls.TryGetValue(callKey, out var caller)
            ? caller
            : throw new InvalidOperationException($"no trunk call \"{callKey}\" was placed earlier in the scenario");

    /// <summary>A 16-bit 8 kHz mono WAV of silence, the format of Asterisk's own sound files.</summary>
    private static byte[] SilentWav(TimeSpan length)
    {
        const int rate = 8000, bytesPerSample = 2;
        var dataLength = (int)(length.TotalSeconds * rate) * bytesPerSample;
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            writer.Write("RIFF"u8);
            writer.Write(36 + dataLength);
            writer.Write("WAVEfmt "u8);
            writer.Write(16);
            writer.Write((short)1);
            writer.Write((short)1);
            writer.Write(rate);
            writer.Write(rate * bytesPerSample);
            writer.Write((short)bytesPerSample);
            writer.Write((short)16);
            writer.Write("data"u8);
            writer.Write(dataLength);
            writer.Write(new byte[dataLength]);
        }
        return stream.ToArray();
    }
}
