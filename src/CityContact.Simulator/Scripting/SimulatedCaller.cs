using CityContact.Simulator.Core;

namespace CityContact.Simulator.Scripting;

/// <summary>A citizen on a trunk call, driven by a test: waits for prompts, presses keys, speaks, hangs up.</summary>
public sealed class SimulatedCaller
{
    private readonly SimulatorCore _core;
    private readonly SimChannel _channel;

    internal SimulatedCaller(SimulatorCore core, SimChannel channel)
    {
        _core = core;
        _channel = channel;
    }

    /// <summary>The ARI channel id (Asterisk's Uniqueid).</summary>
    public string ChannelId => _channel.Id;

    /// <summary>The channel name, e.g. PJSIP/trunk-00000001.</summary>
    public string ChannelName => _channel.Name;

    /// <summary>True once Asterisk declined the call with 603 because no application was connected.</summary>
    public bool Declined => _core.Read(() => _channel.Declined);

    /// <summary>True once the channel is gone (either side hung up).</summary>
    public bool HungUp => _core.Read(() => _channel.IsHungUp);

    /// <summary>Waits until the channel has entered Stasis (StasisStart sent).</summary>
    public Task WaitForStasisAsync(CancellationToken ct = default)
        => _core.WaitUntilAsync(() => _channel.StasisStarts > 0, ct);

    /// <summary>Waits until the app answered the call.</summary>
    public Task WaitForAnswerAsync(CancellationToken ct = default)
        => _core.WaitUntilAsync(() => _channel.AnsweredAt is not null, ct);

    /// <summary>Waits until the <paramref name="count"/>-th playback (1-based) has started on this call; returns its media URI.</summary>
    public async Task<string> WaitForPlaybackAsync(int count, CancellationToken ct = default)
    {
        await _core.WaitUntilAsync(() => _channel.PlaybackMedia.Count >= count, ct).ConfigureAwait(false);
        return _core.Read(() => _channel.PlaybackMedia[count - 1]);
    }

    /// <summary>Waits until the channel is gone, whoever hung up.</summary>
    public Task WaitForHangupAsync(CancellationToken ct = default)
        => _core.WaitUntilAsync(() => _channel.IsHungUp || _channel.Declined, ct);

    /// <summary>Presses keys: one ChannelDtmfReceived (duration_ms 280) per digit, in order.</summary>
    public Task PressAsync(string digits, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        _core.Dtmf(_channel, digits);
        return Task.CompletedTask;
    }

    /// <summary>The caller speaks for <paramref name="length"/> from now: a recording taken meanwhile contains voice, not silence.</summary>
    public void Speak(TimeSpan length) => _core.Speak(_channel, length);

    /// <summary>
    /// From now on the caller's phone sends no RTP while the caller is silent (silence suppression, a muted phone): a
    /// recording then ends after 4 s without audio, whatever its maxSilenceSeconds, as Asterisk's does.
    /// </summary>
    public void SendNoAudioWhenSilent() => _core.Mutate(() => _channel.SendsNoAudioWhenSilent = true);

    /// <summary>The caller puts the call on hold (re-INVITE sendonly): ChannelHold; a bridged peer hears music on hold.</summary>
    public Task HoldAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        _core.RemoteHold(_channel, hold: true);
        return Task.CompletedTask;
    }

    /// <summary>The caller takes the call off hold (re-INVITE sendrecv): ChannelUnhold.</summary>
    public Task ResumeAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        _core.RemoteHold(_channel, hold: false);
        return Task.CompletedTask;
    }

    /// <summary>The caller hangs up (BYE).</summary>
    public Task HangUpAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        _core.RemoteHangup(_channel);
        return Task.CompletedTask;
    }
}
