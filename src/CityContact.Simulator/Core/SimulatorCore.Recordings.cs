using CityContact.Simulator.AriServer;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Simulator.Core;

internal sealed partial class SimulatorCore
{
    private static readonly HashSet<string> KnownFormats = ["wav", "gsm", "ulaw", "alaw", "sln", "wav49", "g722"];

    private LiveRecording ToAri(SimLiveRecording r, int? duration = null, int? talking = null, int? silence = null) => new()
    {
        Name = r.Name,
        Format = r.Format,
        State = r.State,
        TargetUri = r.TargetUri,
        Duration = duration,
        TalkingDuration = talking,
        SilenceDuration = silence,
    };

    public IReadOnlyList<LiveRecording> SnapshotLiveRecordings() => Read(() => _liveRecordings.Values.Select(r => ToAri(r)).ToArray());

    private string StoredPath(string name) => Path.Combine(RecordingsDirectory, name + ".wav");

    private static readonly HashSet<string> TerminateOnValues = ["none", "any", "*", "#"];
    private static readonly HashSet<string> IfExistsValues = ["fail", "overwrite", "append"];

    /// <summary>POST /record with ast_ari_channels_record's checks in its order: negative limits before the channel, then terminateOn, ifExists, format.</summary>
    public AriResponse Record(string id, IReadOnlyDictionary<string, string> p)
    {
        if (int.TryParse(p.GetValueOrDefault("maxDurationSeconds"), out var maxDuration) && maxDuration < 0)
        {
            return AriResponse.BadRequest("max_duration_seconds cannot be negative");
        }
        if (int.TryParse(p.GetValueOrDefault("maxSilenceSeconds"), out var maxSilence) && maxSilence < 0)
        {
            return AriResponse.BadRequest("max_silence_seconds cannot be negative");
        }
        return WithStasisChannel(id, channel => StartRecording(channel, p));
    }

    private AriResponse StartRecording(SimChannel channel, IReadOnlyDictionary<string, string> p)
    {
        var name = p.GetValueOrDefault("name");
        var format = p.GetValueOrDefault("format");
        if (!TerminateOnValues.Contains(p.GetValueOrDefault("terminateOn") ?? "none"))
        {
            return AriResponse.BadRequest("terminateOn invalid");
        }
        var ifExists = p.GetValueOrDefault("ifExists") ?? "fail";
        if (!IfExistsValues.Contains(ifExists))
        {
            return AriResponse.BadRequest("ifExists invalid");
        }
        if (format is not null && !KnownFormats.Contains(format))
        {
            return AriResponse.Unprocessable("specified format is unknown on this system");
        }
        if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(format))
        {
            return AriResponse.InternalError("Error parsing request");
        }
        if (_liveRecordings.ContainsKey(name) || (File.Exists(StoredPath(name)) && ifExists == "fail"))
        {
            return AriResponse.Conflict($"Recording '{name}' already exists and can not be overwritten");
        }
        TimeSpan? Seconds(string key) => int.TryParse(p.GetValueOrDefault(key), out var s) && s > 0 ? TimeSpan.FromSeconds(s) : null;
        var recording = new SimLiveRecording
        {
            Name = name,
            Format = format,
            TargetUri = $"channel:{channel.Id}",
            Channel = channel,
            App = channel.SubscribedApp ?? "",
            StartedAt = Now,
            MaxDuration = Seconds("maxDurationSeconds"),
            MaxSilence = Seconds("maxSilenceSeconds"),
            TerminateOn = p.GetValueOrDefault("terminateOn") ?? "none",
        };
        _liveRecordings[name] = recording;
        channel.Recording = recording;
        var response = AriResponse.Created(ToAri(recording), $"/ari/recordings/live/{name}");
        recording.State = "recording";
        SendChannelEvent(recording.Channel, new RecordingStarted { Recording = ToAri(recording) }, recording.App);
        if (recording.MaxDuration is { } max)
        {
            recording.Timer = Schedule(max, () => FinishRecording(recording, "done"));
        }
        ArmSilenceTimer(recording);
        ArmNoAudioTimer(recording);
        return response;
    }

    // __ast_play_and_record waits twice 2 s for a frame and then gives up ("No audio available on …??"): the recording
    // ends as done, with only the audio received (INDEX.md of the transcripts, "Recording").
    private static readonly TimeSpan NoAudioLimit = TimeSpan.FromSeconds(4);

    private void ArmNoAudioTimer(SimLiveRecording recording)
    {
        if (!recording.Channel.SendsNoAudioWhenSilent)
        {
            return;
        }
        var quietFrom = recording.Channel.SpeakingUntil > Now ? recording.Channel.SpeakingUntil : Now;
        Schedule(quietFrom + NoAudioLimit - Now, () =>
        {
            if (recording.State == "recording" && recording.Channel.SpeakingUntil + NoAudioLimit <= Now)
            {
                FinishRecording(recording, "done");
            }
        });
    }

    private void ArmSilenceTimer(SimLiveRecording recording)
    {
        if (recording.MaxSilence is not { } silence)
        {
            return;
        }
        var quietFrom = recording.Channel.SpeakingUntil > Now ? recording.Channel.SpeakingUntil : Now;
        Schedule(quietFrom + silence - Now, () =>
        {
            if (recording.State == "recording" && recording.Channel.SpeakingUntil + silence <= Now)
            {
                FinishRecording(recording, "done");
            }
        });
    }

    private void OnSpeechForRecording(SimChannel channel)
    {
        if (channel.Recording is { } recording)
        {
            ArmSilenceTimer(recording);
            ArmNoAudioTimer(recording);
        }
    }

    private void OnDtmfForRecording(SimChannel channel, string digit)
    {
        if (channel.Recording is { } recording && (recording.TerminateOn == "any" || recording.TerminateOn.Contains(digit, StringComparison.Ordinal)))
        {
            FinishRecording(recording, "done");
        }
    }

    private void FinishRecordingOf(SimChannel channel)
    {
        if (channel.Recording is { } recording)
        {
            FinishRecording(recording, "done");
        }
    }

    /// <summary>Ends a live recording: whole-second durations (counted from the caller's first audio, as Asterisk does), a real WAV file, RecordingFinished.</summary>
    private void FinishRecording(SimLiveRecording recording, string state, bool keepFile = true)
    {
        if (!_liveRecordings.Remove(recording.Name))
        {
            return;
        }
        Cancel(recording.Timer);
        recording.Channel.Recording = null;
        var end = Now;
        var speech = recording.Channel.Speech
            .Select(s => (From: s.From < recording.StartedAt ? recording.StartedAt : s.From, To: s.To > end ? end : s.To))
            .Where(s => s.To > s.From)
            .ToArray();
        var audioStart = speech.Length > 0 ? speech.Min(s => s.From) : recording.StartedAt;
        // A phone silent on the wire gave Asterisk no frames to write beyond the speech.
        var audioEnd = !recording.Channel.SendsNoAudioWhenSilent ? end : speech.Length > 0 ? speech.Max(s => s.To) : audioStart;
        var length = audioEnd - audioStart;
        var duration = (int)Math.Floor(length.TotalSeconds);
        var talking = Math.Min(duration, (int)Math.Floor(speech.Sum(s => (s.To - s.From).TotalSeconds)));
        if (keepFile)
        {
            SoundFile.WriteWav(StoredPath(recording.Name), length, speech.Select(s => (s.From - audioStart, s.To - audioStart)).ToArray());
        }
        recording.State = state;
        SendChannelEvent(recording.Channel, new RecordingFinished { Recording = ToAri(recording, duration, talking, duration - talking) }, recording.App);
    }

    public AriResponse GetLiveRecording(string name) => Read(() =>
        _liveRecordings.TryGetValue(name, out var r) ? AriResponse.Ok(ToAri(r)) : AriResponse.NotFound("Recording not found"));

    public AriResponse StopLiveRecording(string name, bool cancel) => Mutate(() =>
    {
        if (!_liveRecordings.TryGetValue(name, out var recording))
        {
            return AriResponse.NotFound("Recording not found");
        }
        FinishRecording(recording, cancel ? "canceled" : "done", keepFile: !cancel);
        return AriResponse.NoContent;
    });

    public AriResponse ListStoredRecordings() => Read(() => AriResponse.Ok(
        Directory.GetFiles(RecordingsDirectory, "*.wav").Order(StringComparer.Ordinal)
            .Select(f => new StoredRecording { Name = Path.GetFileNameWithoutExtension(f), Format = "wav" }).ToArray()));

    public AriResponse GetStoredRecording(string name) => Read(() => File.Exists(StoredPath(name))
        ? AriResponse.Ok(new StoredRecording { Name = name, Format = "wav" })
        : AriResponse.NotFound("Recording not found"));

    public AriResponse GetStoredRecordingFile(string name) => Read(() => File.Exists(StoredPath(name))
        ? new AriResponse(200, "OK") { FilePath = StoredPath(name), ContentType = "audio/wav" }
        : AriResponse.NotFound("Recording not found"));

    public AriResponse DeleteStoredRecording(string name) => Mutate(() =>
    {
        if (!File.Exists(StoredPath(name)))
        {
            return AriResponse.NotFound("Recording not found");
        }
        File.Delete(StoredPath(name));
        return AriResponse.NoContent;
    });

    public AriResponse CopyStoredRecording(string name, string? destination) => Mutate(() =>
    {
        if (!File.Exists(StoredPath(name)))
        {
            return AriResponse.NotFound("Recording not found");
        }
        if (string.IsNullOrEmpty(destination))
        {
            return AriResponse.BadRequest("destinationRecordingName is required");
        }
        if (File.Exists(StoredPath(destination)))
        {
            return AriResponse.Conflict("A recording with the same name already exists on the system");
        }
        File.Copy(StoredPath(name), StoredPath(destination));
        return AriResponse.Ok(new StoredRecording { Name = destination, Format = "wav" });
    });
}
