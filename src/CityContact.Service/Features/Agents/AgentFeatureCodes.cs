using System.Collections.Concurrent;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Prompts;
using CityContact.Service.Features.Queues;
using CityContact.Service.Infrastructure.Telephony;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Service.Features.Agents;

/// <summary>
/// The deskphone side of the Stasis app: feature codes (StasisStart <c>feature,&lt;code&gt;,&lt;callerid&gt;</c> from the
/// [agents] dialplan: *45 login/logout, *46 pause toggle) answered with a spoken confirmation. Whether the phone is
/// registered comes from <see cref="AgentPhoneWatch"/>.
/// </summary>
public sealed partial class AgentFeatureCodes(
    QueueDispatcher dispatcher, AsteriskConnection asterisk, PromptCatalog prompts, IHostApplicationLifetime lifetime,
    ILogger<AgentFeatureCodes> logger) : IStasisListener
{
    public const string FeatureArg = "feature";
    public const string LoginCode = "*45";
    public const string PauseCode = "*46";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _playbacks = new(StringComparer.Ordinal);

    public void Handle(AriMessage message)
    {
        switch (message)
        {
            case StasisStart { Args: [FeatureArg, var code, var callerId, ..] } start:
                _ = Task.Run(() => RunAsync(start.Channel.Id, code, callerId, lifetime.ApplicationStopping), CancellationToken.None);
                break;
            case PlaybackFinished finished when _playbacks.TryRemove(finished.Playback.Id, out var done):
                done.TrySetResult();
                break;
            case StasisEnd end:
                // The agent hung up during the confirmation: stop waiting for its playbacks.
                foreach (var id in _playbacks.Keys.Where(k => k.StartsWith(end.Channel.Id + ":", StringComparison.Ordinal)))
                {
                    if (_playbacks.TryRemove(id, out var gone))
                    {
                        gone.TrySetResult();
                    }
                }
                break;
        }
    }

    private async Task RunAsync(string channelId, string code, string callerId, CancellationToken ct)
    {
        var ari = asterisk.Ari.Rest;
        try
        {
            await dispatcher.Loaded;
            await ari.Channels.AnswerAsync(channelId, ct);
            var agentId = await dispatcher.AgentByCallerIdAsync(callerId);
            AgentView? view = agentId is { } id
                ? await dispatcher.ActAsync(id, code == PauseCode ? AgentAction.TogglePause : AgentAction.ToggleLogin, null)
                : null;
            var prompt = view?.State switch
            {
                null => "agent-unknown",
                "logged_out" => "agent-logged-out",
                "paused" => "agent-paused",
                _ when code == PauseCode => "agent-unpaused",
                _ => "agent-logged-in",
            };
            LogFeature(code, agentId, view?.State);
            var playbackId = $"{channelId}:{Guid.NewGuid():N}";
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _playbacks[playbackId] = done;
            await ari.Channels.PlayWithIdAsync(channelId, playbackId, prompts.Resolve(prompt, prompts.FallbackLanguage), null, ct);
            await done.Task.WaitAsync(TimeSpan.FromSeconds(15), ct);
        }
        catch (Exception e) when (e is AriException or HttpRequestException or TimeoutException)
        {
            LogFeatureFailed(code, e.Message);
        }
        finally
        {
            await ari.Channels.HangupAsync(channelId, "normal", CancellationToken.None).IgnoreNotFound();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Feature code {Code}: agent {AgentId} is now {State}")]
    private partial void LogFeature(string code, long? agentId, string? state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feature code {Code} failed: {Error}")]
    private partial void LogFeatureFailed(string code, string error);
}
