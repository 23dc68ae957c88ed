using CityContact.Simulator.Core;

namespace CityContact.Simulator.Scripting;

/// <summary>An agent's SIP deskphone on a PJSIP endpoint: registers, rings, answers or not.</summary>
public sealed class SimulatedPhone
{
    private readonly SimulatorCore _core;
    private readonly SimEndpoint _endpoint;

    internal SimulatedPhone(SimulatorCore core, SimEndpoint endpoint)
    {
        _core = core;
        _endpoint = endpoint;
    }

    /// <summary>The PJSIP endpoint name, e.g. agent1.</summary>
    public string Endpoint => _endpoint.Resource;

    /// <summary>Whether the phone has a registered contact.</summary>
    public bool IsRegistered => _core.Read(() => _endpoint.IsRegistered);

    /// <summary>The ARI id of the channel currently ringing or talking on this phone, if any.</summary>
    public string? CurrentChannelId => _core.Read(() => _endpoint.CurrentChannel?.Id);

    /// <summary>REGISTER: EndpointStateChange online, PeerStatusChange Reachable, ContactStatusChange NonQualified, DeviceStateChanged NOT_INUSE.</summary>
    public Task RegisterAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        _core.Register(_endpoint);
        return Task.CompletedTask;
    }

    /// <summary>REGISTER with Expires: 0.</summary>
    public Task UnregisterAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        _core.Unregister(_endpoint);
        return Task.CompletedTask;
    }

    /// <summary>From now on the phone answers incoming calls after <paramref name="delay"/> of ringing.</summary>
    public SimulatedPhone AnswerAfter(TimeSpan delay)
    {
        _core.SetAnswerBehaviour(_endpoint, PhoneAnswerBehaviour.AnswerAfter, delay);
        return this;
    }

    /// <summary>From now on the phone rings until the caller gives up (the originate timeout).</summary>
    public SimulatedPhone DoNotAnswer()
    {
        _core.SetAnswerBehaviour(_endpoint, PhoneAnswerBehaviour.Ring, TimeSpan.Zero);
        return this;
    }

    /// <summary>From now on the phone answers incoming calls with 486 Busy Here.</summary>
    public SimulatedPhone RejectBusy()
    {
        _core.SetAnswerBehaviour(_endpoint, PhoneAnswerBehaviour.Busy, TimeSpan.Zero);
        return this;
    }

    /// <summary>Waits until the phone is ringing.</summary>
    public Task WaitForRingAsync(CancellationToken ct = default)
        => _core.WaitUntilAsync(() => _endpoint.CurrentChannel is { State: "Ringing" }, ct);

    /// <summary>Waits until a call on this phone is answered.</summary>
    public Task WaitForAnsweredCallAsync(CancellationToken ct = default)
        => _core.WaitUntilAsync(() => _endpoint.CurrentChannel is { State: "Up" }, ct);

    /// <summary>The agent presses Hold on the answered call (re-INVITE sendonly): ChannelHold. Nothing happens when idle.</summary>
    public Task HoldAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        if (_core.Read(() => _endpoint.CurrentChannel) is { } channel)
        {
            _core.RemoteHold(channel, hold: true);
        }
        return Task.CompletedTask;
    }

    /// <summary>The agent resumes the held call: ChannelUnhold.</summary>
    public Task ResumeAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        if (_core.Read(() => _endpoint.CurrentChannel) is { } channel)
        {
            _core.RemoteHold(channel, hold: false);
        }
        return Task.CompletedTask;
    }

    /// <summary>The agent hangs up the current call (BYE). Nothing happens when the phone is idle.</summary>
    public Task HangUpAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        _core.PhoneHangup(_endpoint);
        return Task.CompletedTask;
    }
}

internal enum PhoneAnswerBehaviour
{
    AnswerAfter,
    Ring,
    Busy,
}
