using System.Collections.Concurrent;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using CityContact.Telephony.Ari.Rest;

namespace CityContact.Service.Features.Emergency;

/// <summary>Why a convening was refused.</summary>
public enum ConveneRefusal
{
    None,
    UnknownGroup,
    AlreadyLive,
    NoMembers,
}

/// <summary>
/// The emergency side of the Stasis app: convenes conferences (API or a deskphone's feature code), routes the ARI events
/// of their legs (StasisStart <c>emergency-member,&lt;conference&gt;,&lt;member&gt;</c> for a rung member who answered;
/// <c>emergency,&lt;group&gt;,&lt;callerid&gt;</c> from the [agents] dialplan's *47) and keeps the live ones.
/// </summary>
public sealed partial class EmergencyConferences(
    AsteriskConnection asterisk, EmergencyStore store, PromptCatalog prompts, LiveFeed<TimelineEntry> feed, TimeProvider time,
    IOptions<EmergencyOptions> options, ILogger<EmergencyConferences> logger) : IStasisListener, IHostedService, IDisposable
{
    public const string MemberArg = "emergency-member";
    public const string FeatureArg = "emergency";
    public const string FeatureCode = "*47";

    private readonly ConcurrentDictionary<long, EmergencyConference> _byGroup = new();
    private readonly ConcurrentDictionary<long, EmergencyConference> _byId = new();
    private readonly ConcurrentDictionary<string, EmergencyConference> _byChannel = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _playbacks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _convening = new(1, 1);

    internal AriRestClient Ari => asterisk.Ari.Rest;
    internal string AppName => asterisk.AppName;
    internal EmergencyOptions Options => options.Value;
    internal EmergencyStore Store => store;
    internal LiveFeed<TimelineEntry> Feed => feed;
    internal TimeProvider Time => time;
    internal ILogger Logger => logger;

    public EmergencyConference? Live(long conferenceId) => _byId.GetValueOrDefault(conferenceId);

    public EmergencyConference? LiveForGroup(long groupId) => _byGroup.GetValueOrDefault(groupId);

    public void Handle(AriMessage message)
    {
        switch (message)
        {
            case StasisStart { Args: [MemberArg, var conference, var member, ..] } start:
                if (long.TryParse(conference, out var conferenceId) && long.TryParse(member, out var memberId) && _byId.TryGetValue(conferenceId, out var live))
                {
                    live.Answered(memberId, start.Channel.Id);
                }
                else
                {
                    // A conference this instance no longer runs (it ended, or the service restarted meanwhile).
                    _ = Ari.Channels.HangupAsync(start.Channel.Id, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
                }
                break;
            case StasisStart { Args: [FeatureArg, var group, var callerId, ..] } start:
                _ = Task.Run(() => DialInAsync(start.Channel.Id, group, callerId), CancellationToken.None);
                break;
            case PlaybackFinished finished when _playbacks.TryRemove(finished.Playback.Id, out var done):
                done.TrySetResult();
                break;
            case StasisEnd end when _byChannel.TryGetValue(end.Channel.Id, out var conference):
                ReleasePlaybacksOf(end.Channel.Id);
                conference.Gone(end.Channel.Id);
                break;
            case ChannelDestroyed destroyed when _byChannel.TryGetValue(destroyed.Channel.Id, out var conference):
                conference.Gone(destroyed.Channel.Id);
                break;
        }
    }

    /// <summary>Convenes the group: stored first (who, how), then every member rung at once.</summary>
    public async Task<(EmergencyConference? Conference, ConveneRefusal Refusal)> ConveneAsync(
        long groupId, string convenedBy, string via, (long MemberId, string ChannelId)? dialingIn, CancellationToken ct)
    {
        await _convening.WaitAsync(ct);
        EmergencyConference conference;
        try
        {
            if (_byGroup.ContainsKey(groupId))
            {
                return (null, ConveneRefusal.AlreadyLive);
            }
            var group = await store.GetGroupAsync(groupId, ct);
            if (group is null)
            {
                return (null, ConveneRefusal.UnknownGroup);
            }
            if (group.Members.Count == 0)
            {
                return (null, ConveneRefusal.NoMembers);
            }
            var row = await store.StartConferenceAsync(groupId, convenedBy, via, time.GetUtcNow(), ct);
            conference = new EmergencyConference(this, row, group);
            _byGroup[groupId] = conference;
            _byId[row.Id] = conference;
        }
        finally
        {
            _convening.Release();
        }
        LogConvened(conference.Id, groupId, via);
        await conference.StartAsync(dialingIn);
        return (conference, ConveneRefusal.None);
    }

    /// <summary>*47&lt;group&gt; from a member's deskphone: joins the live conference, or convenes it.</summary>
    private async Task DialInAsync(string channelId, string groupText, string callerId)
    {
        try
        {
            await Ari.Channels.AnswerAsync(channelId, CancellationToken.None);
            var endpoint = "PJSIP/" + callerId;
            var group = long.TryParse(groupText, out var groupId) ? await store.GetGroupAsync(groupId, CancellationToken.None) : null;
            var member = group?.Members.FirstOrDefault(m => m.Endpoint == endpoint);
            if (group is null || member is null)
            {
                LogDialInRefused(groupText);
                await AnnounceAsync(channelId, null, "emergency-not-member");
                await Ari.Channels.HangupAsync(channelId, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
                return;
            }
            if (_byGroup.TryGetValue(group.Id, out var live) && await live.DialInAsync(member.Id, channelId))
            {
                return;
            }
            var (_, refusal) = await ConveneAsync(group.Id, member.Name, "phone", (member.Id, channelId), CancellationToken.None);
            if (refusal == ConveneRefusal.AlreadyLive && _byGroup.TryGetValue(group.Id, out live))
            {
                // Two members dialled at the same moment: the other one convened it.
                await live.DialInAsync(member.Id, channelId);
            }
        }
        catch (Exception e) when (e is AriException or HttpRequestException or Npgsql.NpgsqlException or ConferenceEndedException)
        {
            LogDialInFailed(e.Message);
            await Ari.Channels.HangupAsync(channelId, HangupReasons.Normal, CancellationToken.None).IgnoreNotFound();
        }
    }

    /// <summary>
    /// "Emergency conference" and then the group's own name, when the city has recorded it as prompt
    /// <c>emergency-group-&lt;id&gt;</c> (PUT /api/prompts): a name typed in the API is not something Asterisk can say.
    /// Returns when played, or after the timeout (the member is joined regardless).
    /// </summary>
    internal async Task AnnounceAsync(string channelId, long? groupId, string key = "emergency-conference")
    {
        var language = prompts.FallbackLanguage;
        var media = new List<string> { prompts.Resolve(key, language) };
        if (groupId is { } id && prompts.Exists($"emergency-group-{id}", language))
        {
            media.Add(prompts.Resolve($"emergency-group-{id}", language));
        }
        foreach (var sound in media)
        {
            var playbackId = $"emergency:{channelId}:{Guid.NewGuid():N}";
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _playbacks[playbackId] = done;
            try
            {
                await Ari.Channels.PlayWithIdAsync(channelId, playbackId, sound, null, CancellationToken.None);
                await done.Task.WaitAsync(TimeSpan.FromSeconds(Options.AnnouncementTimeoutSeconds), time);
            }
            catch (Exception e) when (e is AriException or HttpRequestException or TimeoutException)
            {
                _playbacks.TryRemove(playbackId, out _);
                LogAnnouncementFailed(channelId, e.Message);
                return;
            }
        }
    }

    private void ReleasePlaybacksOf(string channelId)
    {
        foreach (var id in _playbacks.Keys.Where(k => k.StartsWith($"emergency:{channelId}:", StringComparison.Ordinal)))
        {
            if (_playbacks.TryRemove(id, out var gone))
            {
                gone.TrySetResult();
            }
        }
    }

    /// <summary>A deskphone with a channel up already (a citizen's call, another conversation) is busy; an external number cannot be asked.</summary>
    internal async Task<bool> IsBusyAsync(EmergencyMember member)
    {
        if (member.Kind == MemberKinds.External || member.Endpoint.Split('/') is not [var tech, var resource])
        {
            return false;
        }
        try
        {
            var endpoint = await Ari.Endpoints.GetAsync(tech, resource, CancellationToken.None);
            return endpoint.ChannelIds.Any(id => !_byChannel.ContainsKey(id));
        }
        catch (AriNotFoundException)
        {
            return false;
        }
    }

    internal string DialString(EmergencyMember member) => member.Kind == MemberKinds.External
        ? string.Format(System.Globalization.CultureInfo.InvariantCulture, Options.ExternalEndpoint, member.Endpoint)
        : member.Endpoint;

    internal void Track(string channelId, EmergencyConference conference) => _byChannel[channelId] = conference;

    internal void Untrack(string channelId) => _byChannel.TryRemove(channelId, out _);

    internal void Forget(EmergencyConference conference)
    {
        _byGroup.TryRemove(new KeyValuePair<long, EmergencyConference>(conference.GroupId, conference));
        _byId.TryRemove(conference.Id, out _);
        LogEnded(conference.Id);
    }

    /// <summary>Conferences a previous run left open get their end on the record: their bridge is gone with that run's state.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var row in await store.UnendedConferencesAsync(cancellationToken))
        {
            await store.AppendAsync(row.GroupId, row.Id, time.GetUtcNow(), TimelineKinds.Ended, null, "system", "service restarted", cancellationToken);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var live = _byId.Values.ToList();
        try
        {
            await Task.WhenAll(live.Select(c => c.ShutdownAsync())).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is AriException or HttpRequestException or ConferenceEndedException or ObjectDisposedException or InvalidOperationException)
        {
            LogShutdownFailed(e.Message);
        }
    }

    public void Dispose() => _convening.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Emergency conference {ConferenceId} convened for group {GroupId} by {Via}")]
    private partial void LogConvened(long conferenceId, long groupId, string via);

    [LoggerMessage(Level = LogLevel.Information, Message = "Emergency conference {ConferenceId} ended")]
    private partial void LogEnded(long conferenceId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Emergency feature code for group {Group} refused: not a member's phone, or no such group")]
    private partial void LogDialInRefused(string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Emergency feature code failed: {Error}")]
    private partial void LogDialInFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Emergency announcement on {ChannelId} failed: {Error}")]
    private partial void LogAnnouncementFailed(string channelId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ending emergency conferences at shutdown failed: {Error}")]
    private partial void LogShutdownFailed(string error);
}
