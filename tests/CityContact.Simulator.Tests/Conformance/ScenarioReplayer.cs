using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>The differences found at one step of a replay.</summary>
public sealed record StepFailure(TranscriptStep Step, IReadOnlyList<Difference> Differences);

public sealed record ReplayResult(Transcript Transcript, IReadOnlyList<StepFailure> Failures)
{
    public bool Conforms => Failures.Count == 0;

    /// <summary>Every difference, one a line: scenario, step index, its t, and the JSON path of the field.</summary>
    public string Describe() => string.Join('\n', Failures.SelectMany(f => f.Differences.Select(d =>
        $"{Transcript.Scenario} ({Transcript.FileName}), {f.Step.Label}: {d}")));
}

/// <summary>
/// Replays a transcript against an <see cref="IAsteriskUnderTest"/>: the same REST requests and WebSocket upgrades
/// (ids rewritten through the <see cref="IdMap"/>), the stimuli as scripted SIP actions, in the recorded order; each
/// recorded response and event is compared with what came back.
///
/// Ordering: frames are compared in order per WebSocket, strictly. The relative order of a REST response and a
/// WebSocket event is not compared, because they travel on two connections and Asterisk itself races them — INDEX.md
/// names three such races (ChannelStateChange Up before the answer's 204; the DELETE's 204 before, between or after
/// the varsets; PlaybackStarted before or after /play's 201 in these files). Causality is compared: an event must not
/// arrive before the request or stimulus that precedes it in the transcript was made.
/// </summary>
public sealed class ScenarioReplayer(Transcript transcript, IAsteriskUnderTest target)
{
    /// <summary>How long (wall clock) a recorded frame may take to arrive once the clock is past its time.</summary>
    public TimeSpan FrameTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How far past an event's recorded time the clock may run while that event is awaited (never past the next action).</summary>
    public TimeSpan EventClockSlack { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>
    /// How many frames of a WebSocket may be held back while a DeviceStateChanged recorded elsewhere in their run is
    /// looked for (see <see cref="NextFrameAsync"/>).
    /// </summary>
    private const int MaxHeldFrames = 4;

    /// <summary>
    /// The transcripts do not record the Authorization header. These requests were sent without the lab's credentials;
    /// the scenario's description names them ("wrong password / no credentials").
    /// </summary>
    private static readonly Dictionary<(string Scenario, int Step), string?> CredentialsOverrides = new()
    {
        [("errors", 22)] = null,
        [("errors", 24)] = "cc:wrong",
    };

    private readonly IdMap _ids = new();
    private readonly Dictionary<string, RawWebSocketClient> _sockets = new(StringComparer.Ordinal);
    private readonly Dictionary<RawWebSocketClient, List<ReceivedFrame>> _held = [];

    // ARI user of the transcript's lab (INDEX.md: Basic auth cc/cc in the first lab).
    private string Credentials => $"{transcript.Lab.AriUser}:{transcript.Lab.AriPassword}";
    private readonly List<StepFailure> _failures = [];
    private long _sequence;
    private readonly Dictionary<int, long> _actionSequences = [];
    private TimeSpan _clock;
    private string? _latestCallKey;
    private (RequestStep Request, ActualResponse Response)? _pending;

    public async Task<ReplayResult> ReplayAsync(CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = target.AriBaseUrl };
        try
        {
            foreach (var plan in StimulusTable.PhonePlans(transcript))
            {
                await target.PerformAsync(plan, ct);
            }
            foreach (var step in transcript.Steps)
            {
                var carryOn = step switch
                {
                    RequestStep request => await RequestAsync(http, request, ct),
                    ResponseStep response => CompareResponse(response),
                    EventStep evt => await CompareEventAsync(evt, ct),
                    StimulusStep stimulus => await StimulateAsync(stimulus, ct),
                    _ => throw new InvalidOperationException(step.GetType().Name),
                };
                if (!carryOn)
                {
                    break;
                }
            }
            if (_failures.Count == 0)
            {
                CheckNothingElseArrived();
            }
        }
        finally
        {
            foreach (var socket in _sockets.Values)
            {
                await socket.DisposeAsync();
            }
        }
        return new ReplayResult(transcript, _failures);
    }

    private sealed record ActualResponse(int Status, string Reason, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, string? WebSocketKey);

    private async Task<bool> RequestAsync(HttpClient http, RequestStep step, CancellationToken ct)
    {
        await AdvanceClockToAsync(step.T, ct);
        var query = _ids.Substitute(step.QueryString);
        var pathAndQuery = _ids.Substitute(step.Path) + (query.Length > 0 ? "?" + query : "");
        _actionSequences[step.Index] = Interlocked.Increment(ref _sequence);

        if (step.WebSocket is { } name)
        {
            if (step.IsClose)
            {
                await _sockets[name].CloseAsync(ct);
                return true;
            }
            var credentials = query.Contains("api_key=", StringComparison.Ordinal) ? null : Credentials;
            var socket = await RawWebSocketClient.ConnectAsync(target.AriBaseUrl, pathAndQuery, credentials, () => Interlocked.Increment(ref _sequence), ct);
            _sockets[name] = socket;
            var answer = socket.Answer;
            _pending = (step, new ActualResponse(answer.Status, answer.Reason, answer.Headers, Encoding.UTF8.GetBytes(answer.Body), answer.SecWebSocketKey));
            return true;
        }

        using var message = new HttpRequestMessage(new HttpMethod(step.Method), pathAndQuery);
        var stepCredentials = CredentialsOverrides.TryGetValue((transcript.Scenario, step.Index), out var overridden)
            ? overridden
            : query.Contains("api_key=", StringComparison.Ordinal) ? null : Credentials;
        if (stepCredentials is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(stepCredentials)));
        }
        if (step.Body is { } body)
        {
            message.Content = new StringContent(_ids.Substitute(body.GetRawText()), Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(message, ct);
        // HttpClient splits list headers ("Allow: OPTIONS,GET,POST" becomes three values); joined back as Asterisk writes them.
        var headers = response.Headers.Concat(response.Content.Headers)
            .Select(h => KeyValuePair.Create(h.Key, string.Join(',', h.Value)))
            .ToList();
        _pending = (step, new ActualResponse((int)response.StatusCode, response.ReasonPhrase ?? "", headers, await response.Content.ReadAsByteArrayAsync(ct), null));
        return true;
    }

    private bool CompareResponse(ResponseStep expected)
    {
        if (_pending is not { } pending)
        {
            return Fail(expected, new Difference("$", "no request is waiting for this response"), fatal: true);
        }
        _pending = null;
        var (request, actual) = pending;
        var differences = new List<Difference>();
        if (actual.Status != expected.Status)
        {
            differences.Add(new("status", $"expected {expected.Status}, got {actual.Status}"));
        }
        if (expected.Reason is not null && actual.Reason != expected.Reason)
        {
            differences.Add(new("reason", $"expected \"{expected.Reason}\", got \"{actual.Reason}\""));
        }

        if (expected.Json is { } json)
        {
            differences.AddRange(CompareJsonBody(request, expected, json, actual.Body));
        }
        else if (expected.BodyLength is { } length)
        {
            differences.AddRange(CompareWav(length, actual.Body));
        }
        else if (expected.Body is { } body)
        {
            var text = Encoding.UTF8.GetString(actual.Body);
            var recorded = RecordedBodyAsAClientReadsIt(expected, body);
            if (text != recorded)
            {
                differences.Add(new("body", $"expected \"{recorded}\", got \"{text}\""));
            }
        }

        // Compared after the body, whose ids bind the Location's playback id.
        foreach (var header in ComparedHeaders(expected))
        {
            var want = expected.Headers.FirstOrDefault(h => h.Key.Equals(header, StringComparison.OrdinalIgnoreCase)).Value;
            var got = actual.Headers.FirstOrDefault(h => h.Key.Equals(header, StringComparison.OrdinalIgnoreCase)).Value;
            if (header == "Location" && want is not null)
            {
                want = _ids.Substitute(want);
            }
            var same = expected.Status == 101 ? string.Equals(want, got, StringComparison.OrdinalIgnoreCase) : want == got;
            if (!same)
            {
                differences.Add(new($"headers.{header}", want is null ? $"unexpected (got \"{got}\")" : $"expected \"{want}\", got {(got is null ? "none" : $"\"{got}\"")}"));
            }
        }
        if (expected.Status == 101 && actual.WebSocketKey is { } key)
        {
            var accept = actual.Headers.FirstOrDefault(h => h.Key.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase)).Value;
            if (accept != RawWebSocketClient.AcceptFor(key))
            {
                differences.Add(new("headers.Sec-WebSocket-Accept", $"expected \"{RawWebSocketClient.AcceptFor(key)}\" for the key sent, got \"{accept}\""));
            }
            // ari-errors.json ws-raw101: the harness dropped the TCP connection right after the 101, without a close frame.
            if (request.WebSocket is { } name && IsDroppedAfterUpgrade(expected))
            {
                _sockets[name].Abort();
            }
        }
        return differences.Count == 0 || Fail(expected, differences, fatal: false);
    }

    /// <summary>
    /// Headers whose value a client acts on; the rest (Server, Date, Cache-Control, Content-Length) are not compared.
    /// Names are matched case-insensitively: Asterisk spells "Content-type", HTTP says names are case-insensitive.
    /// </summary>
    private static IEnumerable<string> ComparedHeaders(ResponseStep expected) => expected.Status == 101
        ? ["Upgrade", "Connection"]
        : ["Content-Type", "WWW-Authenticate", "Allow", "Location"];

    private static bool IsDroppedAfterUpgrade(ResponseStep step) => step.WebSocket == "ws-raw101";

    /// <summary>
    /// A refused upgrade without app (ari-errors.json ws-noapp): Asterisk wrote a second "HTTP/1.1 400" head after the
    /// HTML page; the harness read to the end of the connection, an HTTP client stops at Content-Length.
    /// </summary>
    private static string RecordedBodyAsAClientReadsIt(ResponseStep expected, string body)
    {
        var length = expected.Headers.FirstOrDefault(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Value;
        var bytes = Encoding.UTF8.GetBytes(body);
        return length is not null && int.TryParse(length, out var n) && n < bytes.Length ? Encoding.UTF8.GetString(bytes, 0, n) : body;
    }

    private List<Difference> CompareJsonBody(RequestStep request, ResponseStep expected, JsonElement json, byte[] body)
    {
        JsonElement actual;
        try
        {
            using var document = JsonDocument.Parse(body);
            actual = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return [new("$", $"expected JSON {json.GetRawText()}, got \"{Encoding.UTF8.GetString(body)}\" ({e.Message})")];
        }
        IReadOnlyList<FieldRule> rules = expected.Status == 201 && request.Path.EndsWith("/play", StringComparison.Ordinal)
            ? [FieldRules.PlaybackStateRace, .. FieldRules.Ari]
            : FieldRules.Ari;
        return [.. new JsonConformance(_ids, rules).Compare(json, actual)];
    }

    /// <summary>
    /// The recording download: Asterisk's file is 16-bit 8 kHz mono WAV. Its length depends on how much RTP the caller
    /// sent (INDEX.md: duration 7 for a 9.5 s recording), so the file is compared by whole seconds of audio, like the
    /// recording's own duration field, not by byte count.
    /// </summary>
    private static List<Difference> CompareWav(long recordedLength, byte[] body)
    {
        const int header = 44, bytesPerSecond = 16000;
        if (body.Length < header || Encoding.ASCII.GetString(body, 0, 4) != "RIFF" || Encoding.ASCII.GetString(body, 8, 4) != "WAVE")
        {
            return [new("body", $"expected a WAV file of {recordedLength} bytes, got {body.Length} bytes that are not RIFF/WAVE")];
        }
        var expectedSeconds = (recordedLength - header) / bytesPerSecond;
        var actualSeconds = (body.Length - header) / bytesPerSecond;
        return expectedSeconds == actualSeconds ? [] : [new("body", $"expected {expectedSeconds} whole seconds of audio ({recordedLength} bytes), got {actualSeconds} ({body.Length} bytes)")];
    }

    private async Task<bool> CompareEventAsync(EventStep expected, CancellationToken ct)
    {
        if (!_sockets.TryGetValue(expected.WebSocket, out var socket))
        {
            return Fail(expected, new Difference("$", $"WebSocket {expected.WebSocket} was never opened"), fatal: true);
        }
        var frame = await NextFrameAsync(socket, expected, ct);
        if (frame is null)
        {
            return Fail(expected, new Difference("$", $"no frame on {expected.WebSocket} within {FrameTimeout.TotalSeconds} s once the clock passed t={expected.T} (expected {(expected.IsClose ? "a close frame" : expected.Type)})"), fatal: true);
        }
        if (LatestCertainCause(expected) is { } cause && frame.Sequence < _actionSequences[cause.Index])
        {
            Fail(expected, new Difference("$", $"arrived before {cause.Label} was made"), fatal: false);
        }
        if (expected.IsClose)
        {
            return frame.Text is null && (int?)frame.CloseStatus == expected.CloseCode
                || Fail(expected, new Difference("$", frame.Text is null ? $"expected close code {expected.CloseCode}, got {(int?)frame.CloseStatus}" : $"expected a close frame, got {frame.Text}"), fatal: true);
        }
        if (frame.Text is null)
        {
            return Fail(expected, new Difference("$", $"expected {expected.Type}, got a close frame ({(int?)frame.CloseStatus})"), fatal: true);
        }

        using var document = JsonDocument.Parse(frame.Text);
        var actual = document.RootElement;
        var actualType = actual.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (actualType != expected.Type)
        {
            // A missing, extra or reordered event: the rest of this WebSocket's frames can no longer be paired.
            return Fail(expected, new Difference("$.type", $"expected {expected.Type}, got {actualType}: {Shorten(frame.Text)}"), fatal: true);
        }
        var differences = new JsonConformance(_ids, FieldRules.Ari).Compare(expected.Event!.Value, actual);
        return differences.Count == 0 || Fail(expected, differences, fatal: false);
    }

    /// <summary>
    /// The next frame for <paramref name="expected"/>, in order, except for DeviceStateChanged: Asterisk computes device
    /// states on a task processor of their own, so the event lands among the channel events of the same moment at no
    /// fixed place (ari-device-state.json: RINGING before the ChannelStateChange Ringing; in another run of the same
    /// scenario after it, and NOT_INUSE before or after ChannelDestroyed). A DeviceStateChanged is therefore matched with
    /// the next one of the socket, and other frames with the next other one, up to <see cref="MaxHeldFrames"/> apart.
    /// </summary>
    private async Task<ReceivedFrame?> NextFrameAsync(RawWebSocketClient socket, EventStep expected, CancellationToken ct)
    {
        if (!_held.TryGetValue(socket, out var held))
        {
            held = [];
            _held[socket] = held;
        }
        var wantsDeviceState = expected.Type == "DeviceStateChanged";
        var index = held.FindIndex(f => IsDeviceState(f) == wantsDeviceState);
        if (index >= 0)
        {
            var found = held[index];
            held.RemoveAt(index);
            return found;
        }
        while (true)
        {
            var frame = await ReadFrameAsync(socket, expected, ct);
            if (frame is null || IsDeviceState(frame) == wantsDeviceState || held.Count >= MaxHeldFrames)
            {
                return frame;
            }
            held.Add(frame);
        }
    }

    private static bool IsDeviceState(ReceivedFrame frame) =>
        frame.Text is not null && frame.Text.Contains("\"type\":\"DeviceStateChanged\"", StringComparison.Ordinal);

    private async Task<ReceivedFrame?> ReadFrameAsync(RawWebSocketClient socket, EventStep expected, CancellationToken ct)
    {
        if (socket.Frames.TryRead(out var frame))
        {
            return frame;
        }
        // The event may be due to a timer (end of a prompt, a ring timeout): let the clock run to a little past its
        // recorded time, but never past the next action, which must still find the clock where the transcript had it.
        var until = TimeSpan.FromSeconds(expected.T) + EventClockSlack;
        if (NextActionTime(expected) is { } next && next < until)
        {
            until = next;
        }
        await AdvanceClockToAsync(until.TotalSeconds, ct);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(FrameTimeout);
        try
        {
            return await socket.Frames.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return null;
        }
    }

    private async Task<bool> StimulateAsync(StimulusStep step, CancellationToken ct)
    {
        var action = StimulusTable.Translate(step);
        if (action is null)
        {
            return true;
        }
        await AdvanceClockToAsync(step.T, ct);
        action = action switch
        {
            CallArrives call => Remember(call with { CallerNumber = transcript.Lab.TrunkCallerNumber, CallerName = transcript.Lab.TrunkCallerName }),
            CallerHangsUp hangup => hangup with { CallKey = hangup.CallKey ?? _latestCallKey },
            CallerPresses press => press with { CallKey = _latestCallKey },
            CallerSpeaks speech => speech with { CallKey = _latestCallKey },
            _ => action,
        };
        _actionSequences[step.Index] = Interlocked.Increment(ref _sequence);
        try
        {
            await target.PerformAsync(action, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Fail(step, new Difference("$", $"the simulator could not perform {action}: {e.GetType().Name}: {e.Message}"), fatal: true);
        }
        return true;

        CallArrives Remember(CallArrives call)
        {
            _latestCallKey = call.CallKey;
            return call;
        }
    }

    private void CheckNothingElseArrived()
    {
        foreach (var (name, socket) in _sockets)
        {
            foreach (var extra in _held.GetValueOrDefault(socket) ?? [])
            {
                Fail(transcript.Steps[^1], new Difference("$", $"unexpected frame on {name} after the last recorded step: {Shorten(extra.Text ?? $"close {(int?)extra.CloseStatus}")}"), fatal: false);
            }
            while (socket.Frames.TryRead(out var extra))
            {
                Fail(transcript.Steps[^1], new Difference("$", $"unexpected frame on {name} after the last recorded step: {Shorten(extra.Text ?? $"close {(int?)extra.CloseStatus}")}"), fatal: false);
            }
        }
    }

    private async Task AdvanceClockToAsync(double t, CancellationToken ct)
    {
        var at = TimeSpan.FromSeconds(t);
        if (at > _clock)
        {
            _clock = at;
            await target.AdvanceClockToAsync(at, ct);
        }
    }

    private TimeSpan? NextActionTime(TranscriptStep after) => transcript.Steps
        .Skip(after.Index + 1)
        .Where(IsAction)
        .Select(s => (TimeSpan?)TimeSpan.FromSeconds(s.T))
        .FirstOrDefault();

    /// <summary>
    /// The latest action that surely happened before the event was sent: a stimulus, a close, or a request whose response
    /// the transcript shows before the event. A request still unanswered at the event may have raced it (ari-variables-
    /// and-info.json: the varset of POST variable came after the next GET was sent), so it proves nothing.
    /// </summary>
    private TranscriptStep? LatestCertainCause(EventStep evt)
    {
        var answered = false;
        for (var i = evt.Index - 1; i >= 0; i--)
        {
            var step = transcript.Steps[i];
            if (step is ResponseStep)
            {
                answered = true;
            }
            else if (step is RequestStep request && (answered || request.IsClose) || step is StimulusStep && IsAction(step))
            {
                return step;
            }
            else if (step is RequestStep)
            {
                answered = false;
            }
        }
        return null;
    }

    private static bool IsAction(TranscriptStep step) =>
        step is RequestStep || step is StimulusStep stimulus && StimulusTable.Translate(stimulus) is not null;

    private bool Fail(TranscriptStep step, Difference difference, bool fatal) => Fail(step, [difference], fatal);

    private bool Fail(TranscriptStep step, IReadOnlyList<Difference> differences, bool fatal)
    {
        _failures.Add(new StepFailure(step, differences));
        return !fatal;
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : string.Concat(text.AsSpan(0, 300), "…");
}
