using System.Threading.Channels;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Rest;

namespace CityContact.Service.Features.Emergency;

/// <summary>What one member's leg is doing in a conference.</summary>
public static class LegStates
{
    public const string Idle = "idle";
    public const string Ringing = "ringing";
    public const string Announcing = "announcing";
    public const string Joined = "joined";
    public const string Left = "left";
    public const string Missed = "missed";
    public const string Busy = "busy";
    public const string Dropped = "dropped";
}

public sealed record ConferenceMemberView(long MemberId, string Name, string Kind, string State, bool Muted, int Attempts, string? ChannelId);

public sealed record ConferenceView(long Id, long GroupId, string GroupName, string BridgeId, bool Live, IReadOnlyList<ConferenceMemberView> Members);

/// <summary>The answer to a convener's command on a member.</summary>
public enum MemberCommandResult
{
    Done,
    UnknownMember,
    NotInConference,
    AlreadyIn,
    Ended,
}

/// <summary>
/// One live conference: a mixing bridge, one leg per member, explicit leg states. Every ARI event, retry timer and
/// convener's command is a step posted to one inbox and run in order, so the state has one owner and the timeline is
/// written in the order things happened.
/// </summary>
public sealed partial class EmergencyConference
{
    private sealed class Leg(EmergencyMember member)
    {
        public EmergencyMember Member { get; set; } = member;
        public string State { get; set; } = LegStates.Idle;
        public string? ChannelId { get; set; }
        public int Attempts { get; set; }
        public bool Muted { get; set; }
        public ITimer? Retry { get; set; }

        public bool Live => State is LegStates.Ringing or LegStates.Announcing or LegStates.Joined;
    }

    private readonly EmergencyConferences _owner;
    private readonly EmergencyGroup _group;
    private readonly Dictionary<long, Leg> _legs;
    private readonly Channel<Func<Task>> _inbox = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _over;

    internal EmergencyConference(EmergencyConferences owner, EmergencyConferenceRow row, EmergencyGroup group)
    {
        _owner = owner;
        Row = row;
        _group = group;
        _legs = group.Members.ToDictionary(m => m.Id, m => new Leg(m));
        _ = Task.Run(RunAsync, CancellationToken.None);
    }

    public EmergencyConferenceRow Row { get; }

    public long Id => Row.Id;

    public long GroupId => _group.Id;

    /// <summary>Completes once the conference has ended and its last entry is stored.</summary>
    public Task Ended => _ended.Task;

    private AriRestClient Ari => _owner.Ari;

    private async Task RunAsync()
    {
        await foreach (var step in _inbox.Reader.ReadAllAsync())
        {
            try
            {
                await step();
            }
#pragma warning disable CA1031 // One failed step (Asterisk or the database away) must not stop the conference's other members.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogStepFailed(_owner.Logger, e, Id);
            }
        }
        _ended.TrySetResult();
    }

    private void Post(Func<Task> step)
    {
        if (!_inbox.Writer.TryWrite(step))
        {
            LogLateStep(_owner.Logger, Id);
        }
    }

    private Task<T> Ask<T>(Func<Task<T>> step)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inbox.Writer.TryWrite(async () =>
        {
            try
            {
                answer.TrySetResult(await step());
            }
            catch (Exception e)
            {
                answer.TrySetException(e);
                throw;
            }
        }))
        {
            answer.TrySetException(new ConferenceEndedException(Id));
        }
        return answer.Task;
    }

    /// <summary>Creates the bridge and rings every member at once; <paramref name="dialingIn"/> is the convener's own answered phone.</summary>
    internal Task StartAsync((long MemberId, string ChannelId)? dialingIn) => Ask(async () =>
    {
        await Ari.Bridges.CreateAsync(BridgeTypes.Mixing, Row.BridgeId, $"emergency {_group.Name}", CancellationToken.None);
        await AppendAsync(TimelineKinds.Convened, null, Row.ConvenedBy, null);
        var ringing = new List<Task>();
        foreach (var leg in _legs.Values)
        {
            if (dialingIn is { } caller && caller.MemberId == leg.Member.Id)
            {
                await AcceptAsync(leg, caller.ChannelId);
            }
            else
            {
                ringing.Add(RingAsync(leg));
            }
        }
        // At once: each ring is a busy check and an originate, and a member must not wait for the one before.
        await Task.WhenAll(ringing);
        return true;
    });

    public Task<ConferenceView> ViewAsync() => Ask(() => Task.FromResult(View()));

    private ConferenceView View() => new(Id, _group.Id, _group.Name, Row.BridgeId, !_over,
        [.. _legs.Values.OrderBy(l => l.Member.Id).Select(l => new ConferenceMemberView(
            l.Member.Id, l.Member.Name, l.Member.Kind, l.State, l.Muted, l.Attempts, l.ChannelId))]);

    private async Task RingAsync(Leg leg)
    {
        if (_over || leg.Live)
        {
            return;
        }
        leg.Retry?.Dispose();
        leg.Retry = null;
        leg.Attempts++;
        if (await _owner.IsBusyAsync(leg.Member))
        {
            // Not torn off a citizen's call: the member is told on the console (the timeline's "busy" entry, live on the
            // group's stream) and rung again at the next retry, or dials in when free.
            leg.State = LegStates.Busy;
            await AppendAsync(TimelineKinds.Busy, leg.Member.Id, null, null);
            ScheduleRetry(leg);
            return;
        }
        var channelId = $"emergency-{Id}-{leg.Member.Id}-{leg.Attempts}";
        leg.ChannelId = channelId;
        leg.State = LegStates.Ringing;
        _owner.Track(channelId, this);
        await AppendAsync(TimelineKinds.Rung, leg.Member.Id, null, null);
        try
        {
            await Ari.Channels.OriginateAsync(new OriginateRequest
            {
                Endpoint = _owner.DialString(leg.Member),
                App = _owner.AppName,
                AppArgs = $"{EmergencyConferences.MemberArg},{Id},{leg.Member.Id}",
                CallerId = _owner.Options.CallerId,
                Timeout = TimeSpan.FromSeconds(_group.RingSeconds),
                ChannelId = channelId,
            }, CancellationToken.None);
        }
        catch (Exception e) when (e is AriException or HttpRequestException)
        {
            LogRingFailed(_owner.Logger, Id, leg.Member.Id, e.Message);
            _owner.Untrack(channelId);
            await MissedAsync(leg);
        }
    }

    private async Task MissedAsync(Leg leg)
    {
        leg.State = LegStates.Missed;
        leg.ChannelId = null;
        await AppendAsync(TimelineKinds.Missed, leg.Member.Id, null, null);
        ScheduleRetry(leg);
    }

    private void ScheduleRetry(Leg leg)
    {
        if (leg.Attempts > _group.Retries)
        {
            EndIfEmpty();
            return;
        }
        leg.Retry = _owner.Time.CreateTimer(_ => Post(() => leg.State is LegStates.Missed or LegStates.Busy ? RingAsync(leg) : Task.CompletedTask),
            null, TimeSpan.FromSeconds(_group.RetrySeconds), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The member's phone answered (StasisStart of the originated channel).</summary>
    internal void Answered(long memberId, string channelId) => Post(async () =>
    {
        if (!_legs.TryGetValue(memberId, out var leg) || leg.ChannelId != channelId || leg.State != LegStates.Ringing || _over)
        {
            await Ari.Channels.HangupAsync(channelId, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
            return;
        }
        await AnnounceThenJoinAsync(leg, channelId);
    });

    /// <summary>A member dialled in (feature code) with <paramref name="channelId"/>, answered already.</summary>
    internal Task<bool> DialInAsync(long memberId, string channelId) => Ask(async () =>
    {
        if (_over || !_legs.TryGetValue(memberId, out var leg))
        {
            return false;
        }
        if (leg.Live && leg.ChannelId is { } previous)
        {
            // A phone still ringing for the conference while its owner dials in from it (or from another): one leg only.
            leg.State = LegStates.Idle;
            await Ari.Channels.HangupAsync(previous, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        }
        await AcceptAsync(leg, channelId);
        return true;
    });

    private async Task AcceptAsync(Leg leg, string channelId)
    {
        leg.Retry?.Dispose();
        leg.Retry = null;
        leg.ChannelId = channelId;
        _owner.Track(channelId, this);
        await AnnounceThenJoinAsync(leg, channelId);
    }

    private Task AnnounceThenJoinAsync(Leg leg, string channelId)
    {
        leg.State = LegStates.Announcing;
        // The announcement runs beside the inbox (the other members keep being handled); joining is a step again.
        _ = Task.Run(async () =>
        {
            await _owner.AnnounceAsync(channelId, _group.Id);
            Post(() => JoinAsync(leg, channelId));
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task JoinAsync(Leg leg, string channelId)
    {
        if (_over || leg.ChannelId != channelId || leg.State != LegStates.Announcing)
        {
            return;
        }
        try
        {
            await Ari.Bridges.AddChannelAsync(Row.BridgeId, channelId, null, CancellationToken.None);
        }
        catch (AriException e)
        {
            // The member hung up during the announcement: the channel's StasisEnd is on its way and records the leave.
            LogJoinFailed(_owner.Logger, Id, leg.Member.Id, e.Message);
            return;
        }
        leg.State = LegStates.Joined;
        await AppendAsync(TimelineKinds.Joined, leg.Member.Id, null, null);
    }

    /// <summary>The channel left Stasis or was destroyed (never answered, or hung up).</summary>
    internal void Gone(string channelId) => Post(async () =>
    {
        _owner.Untrack(channelId);
        var leg = _legs.Values.FirstOrDefault(l => l.ChannelId == channelId);
        if (leg is null || _over)
        {
            return;
        }
        switch (leg.State)
        {
            case LegStates.Ringing:
                await MissedAsync(leg);
                break;
            case LegStates.Announcing or LegStates.Joined:
                leg.State = LegStates.Left;
                leg.ChannelId = null;
                leg.Muted = false;
                await AppendAsync(TimelineKinds.Left, leg.Member.Id, null, null);
                EndIfEmpty();
                break;
        }
    });

    public Task<MemberCommandResult> MuteAsync(long memberId, bool mute, string actor) => Ask(async () =>
    {
        if (CheckJoined(memberId, out var leg) is { } refused)
        {
            return refused;
        }
        if (mute)
        {
            await Ari.Channels.MuteAsync(leg!.ChannelId!, "in", CancellationToken.None);
        }
        else
        {
            await Ari.Channels.UnmuteAsync(leg!.ChannelId!, "in", CancellationToken.None);
        }
        leg.Muted = mute;
        await AppendAsync(mute ? TimelineKinds.Muted : TimelineKinds.Unmuted, memberId, actor, null);
        return MemberCommandResult.Done;
    });

    public Task<MemberCommandResult> DropAsync(long memberId, string actor) => Ask(async () =>
    {
        if (_over)
        {
            return MemberCommandResult.Ended;
        }
        if (!_legs.TryGetValue(memberId, out var leg))
        {
            return MemberCommandResult.UnknownMember;
        }
        leg.Retry?.Dispose();
        leg.Retry = null;
        var channelId = leg.ChannelId;
        var wasLive = leg.Live;
        leg.State = LegStates.Dropped;
        leg.ChannelId = null;
        if (wasLive && channelId is not null)
        {
            _owner.Untrack(channelId);
            await Ari.Channels.HangupAsync(channelId, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        }
        await AppendAsync(TimelineKinds.Dropped, memberId, actor, null);
        EndIfEmpty();
        return MemberCommandResult.Done;
    });

    /// <summary>Rings a member now (one who missed it, was dropped, or was added to the group since the convening).</summary>
    public Task<MemberCommandResult> AddAsync(EmergencyMember member) => Ask(async () =>
    {
        if (_over)
        {
            return MemberCommandResult.Ended;
        }
        if (!_legs.TryGetValue(member.Id, out var leg))
        {
            leg = new Leg(member);
            _legs[member.Id] = leg;
        }
        if (leg.Live)
        {
            return MemberCommandResult.AlreadyIn;
        }
        leg.Attempts = 0;
        await RingAsync(leg);
        return MemberCommandResult.Done;
    });

    public Task<bool> EndAsync(string actor) => Ask(async () =>
    {
        if (_over)
        {
            return false;
        }
        await FinishAsync(actor, null);
        return true;
    });

    private MemberCommandResult? CheckJoined(long memberId, out Leg? leg)
    {
        leg = null;
        if (_over)
        {
            return MemberCommandResult.Ended;
        }
        if (!_legs.TryGetValue(memberId, out leg))
        {
            return MemberCommandResult.UnknownMember;
        }
        return leg.State == LegStates.Joined ? null : MemberCommandResult.NotInConference;
    }

    /// <summary>Nobody in, ringing or due for a retry: the conference is over (a member who calls later convenes anew).</summary>
    private void EndIfEmpty()
    {
        if (!_over && _legs.Values.All(l => !l.Live && l.Retry is null))
        {
            Post(() => _over ? Task.CompletedTask : FinishAsync("system", "empty"));
        }
    }

    private async Task FinishAsync(string actor, string? reason)
    {
        _over = true;
        foreach (var leg in _legs.Values)
        {
            leg.Retry?.Dispose();
            leg.Retry = null;
            if (leg.Live && leg.ChannelId is { } channelId)
            {
                _owner.Untrack(channelId);
                await Ari.Channels.HangupAsync(channelId, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
                leg.State = LegStates.Left;
            }
        }
        await Ari.Bridges.DestroyAsync(Row.BridgeId, CancellationToken.None).IgnoreNotFound();
        await AppendAsync(TimelineKinds.Ended, null, actor, reason);
        _owner.Forget(this);
        _inbox.Writer.TryComplete();
    }

    /// <summary>Service shutdown: the conference is closed on the record; the members' phones are hung up.</summary>
    internal Task ShutdownAsync() => Ask(async () =>
    {
        if (!_over)
        {
            await FinishAsync("system", "service stopping");
        }
        return true;
    });

    private async Task AppendAsync(string kind, long? memberId, string? actor, string? body) =>
        _owner.Feed.Publish(await _owner.Store.AppendAsync(_group.Id, Id, _owner.Time.GetUtcNow(), kind, memberId, actor, body, CancellationToken.None));

    [LoggerMessage(Level = LogLevel.Error, Message = "Emergency conference {ConferenceId}: a step failed")]
    private static partial void LogStepFailed(ILogger logger, Exception e, long conferenceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Emergency conference {ConferenceId}: an event arrived after its end")]
    private static partial void LogLateStep(ILogger logger, long conferenceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Emergency conference {ConferenceId}: ringing member {MemberId} failed: {Error}")]
    private static partial void LogRingFailed(ILogger logger, long conferenceId, long memberId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Emergency conference {ConferenceId}: member {MemberId} left before joining: {Error}")]
    private static partial void LogJoinFailed(ILogger logger, long conferenceId, long memberId, string error);
}

public sealed class ConferenceEndedException(long id) : Exception($"Emergency conference {id} has ended.");
