using System.Globalization;
using CityContact.Telephony.Ami;

namespace CityContact.Simulator.Ami;

/// <summary>The manager actions the simulated Asterisk answers, with Asterisk 22.10.1's texts (ami-login.json, ami-pjsip-lists.json).</summary>
internal sealed class AmiServerActions(AmiServerOptions options, IAmiStateSource state, AmiOriginates originates, DateTimeOffset startedAt)
{
    private static readonly HashSet<string> AllowedBeforeLogin = new(StringComparer.OrdinalIgnoreCase) { "Login", "Challenge", "Logoff" };

    public async Task HandleAsync(AmiServerSession session, AmiMessage action, CancellationToken cancellationToken)
    {
        var name = action["Action"] ?? "";
        var actionId = action.ActionId;
        if (!session.LoggedIn && !AllowedBeforeLogin.Contains(name))
        {
            session.Send(AmiFrame.Response("Error", actionId).Add("Message", "Permission denied").Build());
            return;
        }

        switch (name.ToUpperInvariant())
        {
            case "LOGIN":
                await LoginAsync(session, action, cancellationToken).ConfigureAwait(false);
                break;
            case "CHALLENGE":
                Challenge(session, action);
                break;
            case "LOGOFF":
                session.Send(AmiFrame.Response("Goodbye", actionId).Add("Message", "Thanks for all the fish.").Build());
                session.CloseAfterPendingWrites();
                break;
            case "PING":
                var now = options.Time.GetUtcNow();
                session.Send(AmiFrame.Response("Success", actionId).Add("Ping", "Pong")
                    .Add("Timestamp", (now.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000000", CultureInfo.InvariantCulture)).Build());
                break;
            case "PJSIPSHOWENDPOINTS":
                SendList(session, actionId, "A listing of Endpoints follows, presented as EndpointList events", "EndpointListComplete",
                    AmiListFrames.EndpointList(state.Endpoints, actionId ?? ""));
                break;
            case "PJSIPSHOWENDPOINT":
                ShowEndpoint(session, action);
                break;
            case "PJSIPSHOWCONTACTS":
                SendList(session, actionId, "A listing of Contacts follows, presented as ContactList events", "ContactListComplete",
                    AmiListFrames.ContactList(state.Endpoints, actionId ?? ""));
                break;
            case "PJSIPSHOWREGISTRATIONSINBOUND":
                SendList(session, actionId, "Following are Events for each Inbound registration", "InboundRegistrationDetailComplete",
                    AmiListFrames.InboundRegistrations(state.Endpoints, actionId ?? ""));
                break;
            case "CORESHOWCHANNELS":
                SendList(session, actionId, "Channels will follow", "CoreShowChannelsComplete",
                    AmiListFrames.CoreShowChannels(state.Channels, options.Time.GetUtcNow(), actionId ?? ""));
                break;
            case "STATUS":
                SendList(session, actionId, "Channel status will follow", "StatusComplete",
                    AmiListFrames.Status(state.Channels, options.Time.GetUtcNow(), actionId ?? ""), withItems: true);
                break;
            case "ORIGINATE":
                await OriginateAsync(session, action, cancellationToken).ConfigureAwait(false);
                break;
            case "RELOAD":
                // Nothing to reload in the simulator; Asterisk acknowledges a successful reload this way.
                session.Send(AmiFrame.Response("Success", actionId).Add("Message", "Module Reloaded").Build());
                break;
            default:
                session.Send(AmiFrame.Response("Error", actionId)
                    .Add("Message", $"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands.").Build());
                session.SendEvent(SecurityEvent("RequestBadFormat", "Error").Add("SessionID", session.SessionId)
                    .Add("LocalAddress", Address(session.LocalAddress)).Add("RemoteAddress", Address(session.RemoteAddress)).Add("RequestType", $"Action: {name}")
                    .Add("SessionTV", TimeValue(session.ConnectedAt)).Add("AccountID", session.User ?? "").Build());
                break;
        }
    }

    private async Task LoginAsync(AmiServerSession session, AmiMessage action, CancellationToken cancellationToken)
    {
        var user = action["Username"] ?? "";
        var accepted = options.Users.TryGetValue(user, out var secret) && IsProofOfSecret(session, action, secret);
        if (!accepted)
        {
            // Asterisk makes a failed login wait (about 1 s) and then hangs up.
            await Task.Delay(options.FailedLoginDelay, options.Time, cancellationToken).ConfigureAwait(false);
            session.Send(AmiFrame.Response("Error", action.ActionId).Add("Message", "Authentication failed").Build());
            session.CloseAfterPendingWrites();
            return;
        }

        session.User = user;
        session.LoggedIn = true;
        session.EventsEnabled = !string.Equals(action["Events"], "off", StringComparison.OrdinalIgnoreCase);
        session.Send(AmiFrame.Response("Success", action.ActionId).Add("Message", "Authentication accepted").Build());
        var uptime = (long)(options.Time.GetUtcNow() - startedAt).TotalSeconds;
        session.SendEvent(AmiFrame.Event("FullyBooted", "system,all").Add("Uptime", uptime).Add("LastReload", uptime).Add("Status", "Fully Booted").Build());
        session.SendEvent(SecurityEvent("SuccessfulAuth", "Informational").Add("AccountID", user).Add("SessionID", session.SessionId)
            .Add("LocalAddress", Address(session.LocalAddress)).Add("RemoteAddress", Address(session.RemoteAddress))
            .Add("UsingPassword", "0").Add("SessionTV", TimeValue(session.ConnectedAt)).Build());
    }

    private static bool IsProofOfSecret(AmiServerSession session, AmiMessage action, string secret)
    {
        if (string.Equals(action["AuthType"], "MD5", StringComparison.OrdinalIgnoreCase))
        {
            return session.Challenge is { } challenge
                && string.Equals(action["Key"], AmiAuthenticator.Md5Key(challenge, secret), StringComparison.OrdinalIgnoreCase);
        }
        return string.Equals(action["Secret"], secret, StringComparison.Ordinal);
    }

    private static void Challenge(AmiServerSession session, AmiMessage action)
    {
        if (!string.Equals(action["AuthType"], "MD5", StringComparison.OrdinalIgnoreCase))
        {
            session.Send(AmiFrame.Response("Error", action.ActionId).Add("Message", "Must specify AuthType").Build());
            return;
        }
        session.Challenge = Random.Shared.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture);
        session.Send(AmiFrame.Response("Success", action.ActionId).Add("Challenge", session.Challenge).Build());
    }

    private void ShowEndpoint(AmiServerSession session, AmiMessage action)
    {
        var name = action["Endpoint"];
        var endpoint = state.Endpoints.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));
        if (endpoint is null)
        {
            session.Send(AmiFrame.Response("Error", action.ActionId)
                .Add("Message", string.IsNullOrEmpty(name) ? "Endpoint parameter missing." : $"Unable to retrieve endpoint {name}").Build());
            return;
        }
        SendList(session, action.ActionId, "Following are Events for each object associated with the Endpoint", "EndpointDetailComplete",
            AmiListFrames.EndpointDetail(endpoint, action.ActionId ?? ""));
    }

    /// <summary>
    /// Originate with Application, as manager.c action_originate checks and answers it. Async: "successfully queued" at
    /// once, OriginateResponse later; otherwise the answer waits for the outcome ("Originate failed" unless answered).
    /// Only Playback is simulated; Context/Exten/Priority originates and other applications answer "Originate failed".
    /// </summary>
    private async Task OriginateAsync(AmiServerSession session, AmiMessage action, CancellationToken cancellationToken)
    {
        var actionId = action.ActionId;
        var channel = action["Channel"];
        if (string.IsNullOrEmpty(channel))
        {
            session.Send(AmiFrame.Response("Error", actionId).Add("Message", "Channel not specified").Build());
            return;
        }
        if (channel.IndexOf('/', StringComparison.Ordinal) <= 0)
        {
            session.Send(AmiFrame.Response("Error", actionId).Add("Message", "Invalid channel").Build());
            return;
        }
        var timeoutMs = 30_000;
        if (!string.IsNullOrEmpty(action["Timeout"]) && !int.TryParse(action["Timeout"], NumberStyles.Integer, CultureInfo.InvariantCulture, out timeoutMs))
        {
            session.Send(AmiFrame.Response("Error", actionId).Add("Message", "Invalid timeout").Build());
            return;
        }
        var application = action["Application"] ?? "";
        if (!Core.SimulatorCore.IsSimulatedApplication(application))
        {
            session.Send(AmiFrame.Response("Error", actionId).Add("Message", "Originate failed").Build());
            return;
        }

        var data = action["Data"] ?? "";
        var callerId = action["CallerID"];
        var (callerName, callerNumber) = Core.SimulatorCore.ParseCallerId(callerId);
        var variables = action.Fields.Where(f => string.Equals(f.Key, "Variable", StringComparison.OrdinalIgnoreCase))
            .SelectMany(f => f.Value.Split(',', StringSplitOptions.RemoveEmptyEntries))
            .Select(assignment => assignment.Split('=', 2))
            .Select(parts => KeyValuePair.Create(parts[0].Trim(), parts.Length > 1 ? parts[1] : ""))
            .ToList();
        var isAsync = IsTrue(action["Async"]);
        var request = new AmiOriginateRequest(actionId, channel, application, data, callerNumber, callerName, isAsync);
        var correlationId = originates.Add(request);
        if (isAsync)
        {
            // Queued before the originate thread runs, so the answer precedes the channel's events.
            session.Send(AmiFrame.Response("Success", actionId).Add("Message", "Originate successfully queued").Build());
        }
        state.OriginateApplication(channel, application, data, callerId, TimeSpan.FromMilliseconds(Math.Max(timeoutMs, 0)), variables, correlationId);
        if (!isAsync)
        {
            var answered = await request.Outcome.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            session.Send(answered
                ? AmiFrame.Response("Success", actionId).Add("Message", "Originate successfully queued").Build()
                : AmiFrame.Response("Error", actionId).Add("Message", "Originate failed").Build());
        }
    }

    /// <summary>Asterisk's ast_true: yes, true, y, t, 1, on.</summary>
    private static bool IsTrue(string? value) => value?.Trim().ToUpperInvariant() is "YES" or "TRUE" or "Y" or "T" or "1" or "ON";

    private static void SendList(AmiServerSession session, string? actionId, string message, string completeEvent, IEnumerable<AmiMessage> items, bool withItems = false)
    {
        session.Send(AmiFrame.Response("Success", actionId).Add("EventList", "start").Add("Message", message).Build());
        var count = 0;
        foreach (var item in items)
        {
            session.Send(item);
            count++;
        }
        var complete = new AmiFrame().Add("Event", completeEvent).AddActionId(actionId).Add("EventList", "Complete").Add("ListItems", count);
        if (withItems)
        {
            complete.Add("Items", count);
        }
        session.Send(complete.Build());
    }

    private AmiFrame SecurityEvent(string name, string severity) =>
        AmiFrame.Event(name, "security,all").Add("EventTV", TimeValue(options.Time.GetUtcNow())).Add("Severity", severity)
            .Add("Service", "AMI").Add("EventVersion", "1");

    private static string Address(System.Net.IPEndPoint? endpoint) => endpoint is null ? "" : $"IPV4/TCP/{endpoint.Address}/{endpoint.Port}";

    private static string TimeValue(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture) + "+0000";
}
