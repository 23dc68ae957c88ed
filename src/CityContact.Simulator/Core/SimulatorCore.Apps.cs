using CityContact.Simulator.AriServer;
using CityContact.Simulator.Changes;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Simulator.Core;

internal sealed partial class SimulatorCore
{
    /// <summary>A WebSocket for these apps: the app is registered; a socket already serving it gets ApplicationReplaced and stays open.</summary>
    public void ConnectApplications(string[] names, AriEventSocket socket) => Mutate(() =>
    {
        foreach (var name in names)
        {
            if (!_apps.TryGetValue(name, out var app))
            {
                app = new StasisApp { Name = name };
                _apps[name] = app;
            }
            if (app.Socket is not null && app.Socket != socket)
            {
                Send(name, new ApplicationReplaced());
            }
            app.Socket = socket;
            app.EverConnected = true;
        }
    });

    /// <summary>The socket closed: the app loses its socket but keeps its channels (it stays listed while it has some).</summary>
    public void DisconnectApplications(string[] names, AriEventSocket socket) => Mutate(() =>
    {
        foreach (var name in names)
        {
            if (_apps.TryGetValue(name, out var app) && app.Socket == socket)
            {
                app.Socket = null;
            }
        }
    });

    public void DropWebSockets() => Mutate(() =>
    {
        foreach (var app in _apps.Values)
        {
            app.Socket?.Close();
        }
    });

    public IReadOnlyList<string> SnapshotConnectedApplications()
        => Read(() => _apps.Values.Where(a => a.Socket is not null).Select(a => a.Name).ToArray());

    private bool IsListed(StasisApp app) => app.Socket is not null || _channels.Values.Any(c => c.StasisApp == app.Name);

    private bool IsActive(string name) => _apps.TryGetValue(name, out var app) && app.Socket is not null;

    private Application ToAri(StasisApp app) => new()
    {
        Name = app.Name,
        ChannelIds = _channels.Values.Where(c => c.StasisApp == app.Name).Select(c => c.Id).ToArray(),
        BridgeIds = _bridges.Values.Where(b => b.App == app.Name && b.Channels.Count > 0).Select(b => b.Id).ToArray(),
        EndpointIds = app.EndpointSubscriptions.ToArray(),
        DeviceNames = app.DeviceSubscriptions.ToArray(),
        EventsAllowed = [.. app.AllowedEvents.Select(TypeObject)],
        EventsDisallowed = [.. app.DisallowedEvents.Select(TypeObject)],
    };

    private static System.Text.Json.JsonElement TypeObject(string type) =>
        System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["type"] = type });

    /// <summary>
    /// PUT /applications/{app}/eventFilter as Asterisk 22 does it: an empty body clears both lists; a list that is given
    /// replaces its own (an empty array clears it) and leaves the other alone; other keys are ignored; an entry that is
    /// not an object with a string "type" is 400 "Invalid format definition" (all checked on 22.10.1).
    /// </summary>
    public AriResponse FilterEvents(string name, string body) => Mutate(() =>
    {
        if (!_apps.TryGetValue(name, out var app) || !IsListed(app))
        {
            return AriResponse.NotFound("Application not found");
        }
        if (string.IsNullOrWhiteSpace(body))
        {
            app.AllowedEvents.Clear();
            app.DisallowedEvents.Clear();
            return AriResponse.Ok(ToAri(app));
        }
        Dictionary<string, string[]> lists;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                return AriResponse.BadRequest("Invalid format definition");
            }
            lists = [];
            foreach (var property in document.RootElement.EnumerateObject().Where(p => p.Name is "allowed" or "disallowed"))
            {
                if (property.Value.ValueKind != System.Text.Json.JsonValueKind.Array
                    || property.Value.EnumerateArray().Any(e => e.ValueKind != System.Text.Json.JsonValueKind.Object
                        || !e.TryGetProperty("type", out var t) || t.ValueKind != System.Text.Json.JsonValueKind.String))
                {
                    return AriResponse.BadRequest("Invalid format definition");
                }
                lists[property.Name] = [.. property.Value.EnumerateArray().Select(e => e.GetProperty("type").GetString()!)];
            }
        }
        catch (System.Text.Json.JsonException)
        {
            return AriResponse.BadRequest("Invalid format definition");
        }
        foreach (var (list, types) in lists)
        {
            var target = list == "allowed" ? app.AllowedEvents : app.DisallowedEvents;
            target.Clear();
            target.AddRange(types);
        }
        return AriResponse.Ok(ToAri(app));
    });

    public AriResponse ListApplications() => Read(() => AriResponse.Ok(_apps.Values.Where(IsListed).Select(ToAri).ToArray()));

    public AriResponse GetApplication(string name) => Read(() =>
        _apps.TryGetValue(name, out var app) && IsListed(app) ? AriResponse.Ok(ToAri(app)) : AriResponse.NotFound("Application not found"));

    public AriResponse Subscribe(string name, string? eventSource, bool subscribe) => Mutate(() =>
    {
        if (!_apps.TryGetValue(name, out var app) || !IsListed(app))
        {
            return AriResponse.NotFound("Application not found");
        }
        if (string.IsNullOrEmpty(eventSource))
        {
            return AriResponse.BadRequest("eventSource parameter is required");
        }
        foreach (var source in eventSource.Split(','))
        {
            var colon = source.IndexOf(':', StringComparison.Ordinal);
            var scheme = colon < 0 ? source : source[..colon];
            var target = colon < 0 ? "" : source[(colon + 1)..];
            switch (scheme)
            {
                case "endpoint" when FindEndpoint(target) is not null || _endpoints.Values.Any(e => e.Technology == target):
                    Toggle(app.EndpointSubscriptions, target, subscribe);
                    break;
                case "deviceState" when target.Length > 0:
                    Toggle(app.DeviceSubscriptions, target, subscribe);
                    break;
                case "channel" when _channels.ContainsKey(target):
                case "bridge" when _bridges.ContainsKey(target):
                    break;
                default:
                    return AriResponse.Unprocessable("Event source does not exist");
            }
        }
        return AriResponse.Ok(ToAri(app));
    });

    private static void Toggle(HashSet<string> set, string value, bool add)
    {
        if (add)
        {
            set.Add(value);
        }
        else
        {
            set.Remove(value);
        }
    }

    private void PublishAndSendToSubscribers(StateChange change, Func<StasisApp, bool> subscribed, AriEvent ev)
    {
        Publish(change);
        foreach (var app in _apps.Values.Where(subscribed).ToArray())
        {
            Send(app.Name, ev);
        }
    }
}
