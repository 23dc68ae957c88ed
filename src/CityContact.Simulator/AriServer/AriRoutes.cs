using System.Globalization;
using CityContact.Simulator.Core;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Simulator.AriServer;

/// <summary>The ARI REST routes of Asterisk 22 and the core operation each one runs; an unknown method on a known path is 405 with Allow.</summary>
internal sealed class AriRoutes
{
    private readonly List<(string[] Template, Dictionary<string, Func<AriRequest, Dictionary<string, string>, AriResponse>> Methods)> _routes = [];
    private static readonly string[] MethodOrder = ["GET", "POST", "PUT", "DELETE"];
    private readonly SimulatorCore _core;
    private readonly DateTimeOffset _startedAt;

    public AriRoutes(SimulatorCore core)
    {
        _core = core;
        _startedAt = core.Options.Time.GetUtcNow();
        var c = core;
        Map("asterisk/info", "GET", (r, _) => Info(r.Param("only")));
        Map("asterisk/ping", "GET", (_, _) => AriResponse.Ok(new AsteriskPing { AsteriskId = c.Options.AsteriskId, Ping = "pong", Timestamp = Timestamp() }));
        Map("applications", "GET", (_, _) => c.ListApplications());
        Map("applications/{app}", "GET", (_, v) => c.GetApplication(v["app"]));
        Map("applications/{app}/subscription", "POST", (r, v) => c.Subscribe(v["app"], r.Param("eventSource"), subscribe: true));
        Map("applications/{app}/subscription", "DELETE", (r, v) => c.Subscribe(v["app"], r.Param("eventSource"), subscribe: false));
        Map("applications/{app}/eventFilter", "PUT", (r, v) => c.FilterEvents(v["app"], r.Body));

        Map("channels", "GET", (_, _) => c.ListChannels());
        Map("channels", "POST", (r, _) => c.Originate(r.Parameters, r.Param("channelId")));
        Map("channels/create", "POST", (r, _) => c.Create(r.Parameters));
        Map("channels/{id}", "GET", (_, v) => c.GetChannel(v["id"]));
        Map("channels/{id}", "POST", (r, v) => c.Originate(r.Parameters, v["id"]));
        Map("channels/{id}", "DELETE", (r, v) => c.HangupChannel(v["id"], r.Param("reason")));
        Map("channels/{id}/answer", "POST", (_, v) => c.Answer(v["id"]));
        Map("channels/{id}/ring", "POST", (_, v) => c.Ring(v["id"]));
        Map("channels/{id}/ring", "DELETE", (_, v) => c.Ring(v["id"]));
        Map("channels/{id}/dtmf", "POST", (r, v) => c.SendDtmf(v["id"], r.Param("dtmf")));
        Map("channels/{id}/play", "POST", (r, v) => c.PlayOnChannel(v["id"], r.Param("media"), r.Param("lang"), r.Param("playbackId")));
        Map("channels/{id}/play/{playbackId}", "POST", (r, v) => c.PlayOnChannel(v["id"], r.Param("media"), r.Param("lang"), v["playbackId"]));
        Map("channels/{id}/record", "POST", (r, v) => c.Record(v["id"], r.Parameters));
        Map("channels/{id}/variable", "GET", (r, v) => c.GetVariable(v["id"], r.Param("variable")));
        Map("channels/{id}/variable", "POST", (r, v) => c.SetChannelVariable(v["id"], r.Param("variable"), r.Param("value")));
        Map("channels/{id}/continue", "POST", (_, v) => c.Continue(v["id"]));
        Map("channels/{id}/move", "POST", (r, v) => c.Move(v["id"], r.Param("app"), r.Param("appArgs")));
        Map("channels/{id}/dial", "POST", (r, v) => c.Dial(v["id"], r.Param("timeout")));
        Map("channels/{id}/hold", "POST", (_, v) => c.Hold(v["id"], hold: true));
        Map("channels/{id}/hold", "DELETE", (_, v) => c.Hold(v["id"], hold: false));
        Map("channels/{id}/moh", "POST", (r, v) => c.ChannelMoh(v["id"], r.Param("mohClass"), start: true));
        Map("channels/{id}/moh", "DELETE", (_, v) => c.ChannelMoh(v["id"], null, start: false));
        Map("channels/{id}/mute", "POST", (r, v) => c.Mute(v["id"], r.Param("direction"), mute: true));
        Map("channels/{id}/mute", "DELETE", (r, v) => c.Mute(v["id"], r.Param("direction"), mute: false));
        Map("channels/{id}/silence", "POST", (_, v) => c.Silence(v["id"], start: true));
        Map("channels/{id}/silence", "DELETE", (_, v) => c.Silence(v["id"], start: false));
        Map("channels/{id}/snoop", "POST", (r, v) => c.Snoop(v["id"], r.Parameters, r.Param("snoopId")));
        Map("channels/{id}/snoop/{snoopId}", "POST", (r, v) => c.Snoop(v["id"], r.Parameters, v["snoopId"]));

        Map("bridges", "GET", (_, _) => c.ListBridges());
        Map("bridges", "POST", (r, _) => c.CreateBridge(r.Param("type"), r.Param("bridgeId"), r.Param("name"), DefaultApp()));
        Map("bridges/{id}", "GET", (_, v) => c.GetBridge(v["id"]));
        Map("bridges/{id}", "POST", (r, v) => c.CreateBridge(r.Param("type"), v["id"], r.Param("name"), DefaultApp()));
        Map("bridges/{id}", "DELETE", (_, v) => c.DestroyBridge(v["id"]));
        Map("bridges/{id}/addChannel", "POST", (r, v) => c.AddToBridge(v["id"], r.Param("channel")));
        Map("bridges/{id}/removeChannel", "POST", (r, v) => c.RemoveFromBridge(v["id"], r.Param("channel")));
        Map("bridges/{id}/moh", "POST", (r, v) => c.BridgeMoh(v["id"], r.Param("mohClass"), start: true));
        Map("bridges/{id}/moh", "DELETE", (_, v) => c.BridgeMoh(v["id"], null, start: false));
        Map("bridges/{id}/play", "POST", (r, v) => c.PlayOnBridge(v["id"], r.Param("media"), r.Param("lang"), r.Param("playbackId")));
        Map("bridges/{id}/play/{playbackId}", "POST", (r, v) => c.PlayOnBridge(v["id"], r.Param("media"), r.Param("lang"), v["playbackId"]));

        Map("playbacks/{id}", "GET", (_, v) => c.GetPlayback(v["id"]));
        Map("playbacks/{id}", "DELETE", (_, v) => c.StopPlayback(v["id"]));
        Map("playbacks/{id}/control", "POST", (r, v) => c.ControlPlayback(v["id"], r.Param("operation")));

        Map("recordings/stored", "GET", (_, _) => c.ListStoredRecordings());
        Map("recordings/stored/{name}", "GET", (_, v) => c.GetStoredRecording(v["name"]));
        Map("recordings/stored/{name}", "DELETE", (_, v) => c.DeleteStoredRecording(v["name"]));
        Map("recordings/stored/{name}/file", "GET", (_, v) => c.GetStoredRecordingFile(v["name"]));
        Map("recordings/stored/{name}/copy", "POST", (r, v) => c.CopyStoredRecording(v["name"], r.Param("destinationRecordingName")));
        Map("recordings/live/{name}", "GET", (_, v) => c.GetLiveRecording(v["name"]));
        Map("recordings/live/{name}", "DELETE", (_, v) => c.StopLiveRecording(v["name"], cancel: true));
        Map("recordings/live/{name}/stop", "POST", (_, v) => c.StopLiveRecording(v["name"], cancel: false));

        Map("endpoints", "GET", (_, _) => c.ListEndpoints(null));
        Map("endpoints/{tech}", "GET", (_, v) => c.ListEndpoints(v["tech"]));
        Map("endpoints/{tech}/{resource}", "GET", (_, v) => c.GetEndpoint(v["tech"], v["resource"]));
        Map("deviceStates", "GET", (_, _) => AriResponse.Ok(Array.Empty<DeviceState>()));
        Map("deviceStates/{name}", "GET", (_, v) => c.GetDeviceState(v["name"]));
    }

    private string DefaultApp() => _core.SnapshotConnectedApplications() is [var first, ..] ? first : "";

    private string Timestamp()
    {
        var now = _core.Options.Time.GetUtcNow();
        return now.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);
    }

    private AriResponse Info(string? only)
    {
        var id = _core.Options.AsteriskId;
        var info = new AsteriskInfo
        {
            Build = only is null or "build" ? new BuildInfo { Os = "Linux", Kernel = "simulated", Machine = "x86_64", Options = "OPTIONAL_API", Date = "2026-11-22 12:44:32 UTC", User = "root" } : null,
            System = only is null or "system" ? new SystemInfo { Version = "22.10.1", EntityId = id } : null,
            Config = only is null or "config" ? new ConfigInfo { Name = "", DefaultLanguage = "en", Setid = new SetId { User = "", Group = "" } } : null,
            Status = only is null or "status" ? new StatusInfo { StartupTime = _startedAt, LastReloadTime = _startedAt } : null,
        };
        return AriResponse.Ok(info);
    }

    private void Map(string template, string method, Func<AriRequest, Dictionary<string, string>, AriResponse> handler)
    {
        var segments = template.Split('/');
        var existing = _routes.FindIndex(r => r.Template.SequenceEqual(segments));
        if (existing < 0)
        {
            _routes.Add((segments, new Dictionary<string, Func<AriRequest, Dictionary<string, string>, AriResponse>>(StringComparer.Ordinal)));
            existing = _routes.Count - 1;
        }
        _routes[existing].Methods[method] = handler;
    }

    public AriResponse Dispatch(AriRequest request)
    {
        foreach (var (template, methods) in _routes)
        {
            if (!TryMatch(template, request.Segments, out var values))
            {
                continue;
            }
            if (methods.TryGetValue(request.Method, out var handler))
            {
                return handler(request, values);
            }
            var allowed = MethodOrder.Where(methods.ContainsKey);
            return AriResponse.Error(405, "Method Not Allowed", "Invalid method") with
            {
                Headers = new Dictionary<string, string> { ["Allow"] = string.Join(',', ["OPTIONS", .. allowed]) },
            };
        }
        return AriResponse.NotFound("Resource not found");
    }

    private static bool TryMatch(string[] template, string[] segments, out Dictionary<string, string> values)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (template.Length != segments.Length)
        {
            return false;
        }
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i].StartsWith('{'))
            {
                values[template[i][1..^1]] = segments[i];
            }
            else if (template[i] != segments[i])
            {
                return false;
            }
        }
        return true;
    }
}
