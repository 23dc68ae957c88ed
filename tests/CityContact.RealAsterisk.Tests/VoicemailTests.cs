using System.Buffers.Binary;
using CityContact.RealAsterisk.Tests.Harness;
using static CityContact.RealAsterisk.Tests.Harness.CallerStep;

namespace CityContact.RealAsterisk.Tests;

/// <summary>A caller's spoken message, recorded by Asterisk through ARI and turned into a ticket.</summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class VoicemailTests(AsteriskFixture fixture)
{
    private const string VoicemailNumber = "0256200";

    /// <summary>sip-tester's PCMA recording: 236 packets of 20 ms (7.05 s by their capture times).</summary>
    private const string Speech = "/usr/share/sip-tester/g711a.pcap";
    private static readonly TimeSpan SpeechLength = TimeSpan.FromSeconds(7.05);

    private static readonly object StraightToVoicemail = new
    {
        start = "message",
        languages = new[] { "ro", "en" },
        nodes = new Dictionary<string, object> { ["message"] = new { kind = "voicemail", queue = "operator" } },
    };

    [RealAsteriskFact]
    public async Task A_spoken_message_ended_with_hash_and_kept_is_stored_as_long_as_it_was_spoken_and_becomes_a_ticket()
    {
        var ct = Timeouts.After(150);
        var asterisk = fixture.Asterisk;
        await using var service = await RealAsteriskService.StartAsync(asterisk, ct);
        await service.PublishFlowAsync("message", VoicemailNumber, StraightToVoicemail, ct);
        var caller = new SippCaller(asterisk, SippCaller.UniqueCallerNumber(), VoicemailNumber);

        // Speech 1 s after leave-message and its beep; # ends it; 2 during the review prompt keeps it.
        var result = await caller.CallAsync(
            [new Pause(asterisk.PromptLength("ro", "leave-message") + TimeSpan.FromSeconds(1.5)), new Speak(Speech, SpeechLength), Key('#'),
             Wait(1.5), Key('2')],
            CallerEnding.WaitsForHangup, ct);

        var (call, timeline) = await service.EndedCallAsync(caller.CallerNumber, ct);
        var because = $"{result}\n{string.Join('\n', timeline.Select(e => $"{e.Type} {e.Data}"))}\n{asterisk.LogTail(15)}";
        Assert.True(result.Answered && result.HungUpByAsterisk, because);
        Assert.Equal("voicemail", call.Outcome);
        Assert.Contains(timeline, e => e.Type == "voicemail.review" && e.Data.Contains("\"2\"", StringComparison.Ordinal));
        var ticket = Assert.Single(timeline, e => e.Type == "voicemail.ticket");
        var name = System.Text.Json.JsonDocument.Parse(ticket.Data).RootElement.GetProperty("recording").GetString()!;
        var (length, peak) = ReadRecording(Path.Combine(asterisk.Layout.SpoolDirectory, "recording", name + ".wav"));
        // What was spoken, plus up to the second of silence after the beep and the moment before the # (not more).
        Assert.InRange(length.TotalSeconds, SpeechLength.TotalSeconds, SpeechLength.TotalSeconds + 2.5);
        Assert.True(peak > 3000, $"the recording is silent (peak {peak})");
    }

    /// <summary>Length and peak sample of a 16-bit mono WAV as Asterisk stores it.</summary>
    private static (TimeSpan Length, int Peak) ReadRecording(string path)
    {
        var wav = File.ReadAllBytes(path);
        var byteRate = 0;
        for (var offset = 12; offset + 8 <= wav.Length;)
        {
            var id = System.Text.Encoding.ASCII.GetString(wav, offset, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(offset + 4));
            if (id == "fmt ")
            {
                byteRate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(offset + 16));
            }
            else if (id == "data")
            {
                var data = wav.AsSpan(offset + 8, Math.Min(size, wav.Length - offset - 8));
                var peak = 0;
                for (var i = 0; i + 1 < data.Length; i += 2)
                {
                    peak = Math.Max(peak, Math.Abs((int)BinaryPrimitives.ReadInt16LittleEndian(data[i..])));
                }
                return (TimeSpan.FromSeconds((double)data.Length / byteRate), peak);
            }
            offset += 8 + size + (size & 1);
        }
        throw new InvalidDataException($"{path} has no data chunk");
    }
}
