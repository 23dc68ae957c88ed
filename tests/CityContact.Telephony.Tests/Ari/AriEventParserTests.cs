using System.Text;
using System.Text.Json;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Models;
using Xunit;

namespace CityContact.Telephony.Tests.Ari;

public sealed class AriEventParserTests
{
    private readonly ListLogger<AriEventParser> _log = new();
    private readonly AriEventParser _parser;

    public AriEventParserTests() => _parser = new AriEventParser(_log);

    [Fact]
    public void Every_event_frame_of_every_transcript_becomes_its_typed_record()
    {
        var frames = Transcripts.EventFrames().ToList();
        Assert.True(frames.Count > 150, $"only {frames.Count} frames found");
        foreach (var (file, type, raw) in frames)
        {
            var message = _parser.Parse(Encoding.UTF8.GetBytes(raw));
            Assert.NotNull(message);
            Assert.IsNotType<UnknownAriEvent>(message);
            Assert.Equal(type, message.Type);
            Assert.Equal(AriMessageTypes.ByName[type], message.GetType());
            using var json = JsonDocument.Parse(raw);
            AssertKeyFields(file, json.RootElement, message);
        }
        Assert.DoesNotContain(_log.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    private static void AssertKeyFields(string file, JsonElement raw, AriMessage message)
    {
        var because = $"{file}: {message.Type}";
        if (message is AriEvent e)
        {
            Assert.True(e.Application == raw.GetProperty("application").GetString(), because);
            Assert.True(e.Timestamp.Year == 2026, because);
        }
        if (raw.TryGetProperty("channel", out var channel) && channel.ValueKind == JsonValueKind.Object)
        {
            Assert.Equal(channel.GetProperty("id").GetString(), AriEventLanes.KeyOf(message));
        }
        switch (message)
        {
            case StasisStart s:
                Assert.Equal(raw.GetProperty("args").EnumerateArray().Select(a => a.GetString()), s.Args);
                Assert.Equal(channel.GetProperty("caller").GetProperty("number").GetString(), s.Channel.Caller.Number);
                Assert.Equal(channel.GetProperty("dialplan").GetProperty("app_data").GetString(), s.Channel.Dialplan.AppData);
                Assert.Equal(channel.GetProperty("state").GetString(), s.Channel.State);
                break;
            case ChannelVarset v:
                Assert.Equal(raw.GetProperty("variable").GetString(), v.Variable);
                Assert.Equal(raw.GetProperty("value").GetString(), v.Value);
                break;
            case ChannelDtmfReceived d:
                Assert.Equal(raw.GetProperty("digit").GetString(), d.Digit);
                Assert.Equal(280, d.DurationMs);
                break;
            case PlaybackFinished p:
                Assert.Equal(raw.GetProperty("playback").GetProperty("state").GetString(), p.Playback.State);
                var target = raw.GetProperty("playback").GetProperty("target_uri").GetString()!;
                Assert.Equal(target.StartsWith("bridge:", StringComparison.Ordinal) ? target : "channel:" + AriEventLanes.KeyOf(p), target);
                break;
            case Dial d:
                Assert.Equal(raw.GetProperty("peer").GetProperty("id").GetString(), AriEventLanes.KeyOf(d));
                Assert.Equal(raw.GetProperty("dialstatus").GetString(), d.Dialstatus);
                break;
            case ChannelDestroyed d:
                Assert.Equal(raw.GetProperty("cause").GetInt32(), d.Cause);
                Assert.Equal(raw.GetProperty("cause_txt").GetString(), d.CauseTxt);
                break;
            case RecordingFinished r:
                Assert.Equal(raw.GetProperty("recording").GetProperty("name").GetString(), r.Recording.Name);
                Assert.Equal(raw.GetProperty("recording").GetProperty("duration").GetInt32(), r.Recording.Duration);
                Assert.Equal(raw.GetProperty("recording").GetProperty("target_uri").GetString(), "channel:" + AriEventLanes.KeyOf(r));
                break;
            case ContactStatusChange c:
                Assert.Equal(raw.GetProperty("contact_info").GetProperty("contact_status").GetString(), c.ContactInfo.ContactStatus);
                Assert.Equal(raw.GetProperty("endpoint").GetProperty("resource").GetString(), c.Endpoint.Resource);
                break;
            case BridgeDestroyed b:
                Assert.Equal("bridge:" + raw.GetProperty("bridge").GetProperty("id").GetString(), AriEventLanes.KeyOf(b));
                break;
            case ChannelHangupRequest h when raw.TryGetProperty("cause", out var cause):
                Assert.Equal(cause.GetInt32(), h.Cause);
                Assert.True(h.Soft);
                break;
        }
    }

    [Fact]
    public void Unknown_event_type_is_passed_on_with_its_json_and_logged_once()
    {
        const string frame = """{"type":"ChannelTeleported","timestamp":"2026-11-22T13:36:58.866+0000","application":"citycontact","where":"mars"}""";
        var first = _parser.Parse(Encoding.UTF8.GetBytes(frame));
        var second = _parser.Parse(Encoding.UTF8.GetBytes(frame));

        var unknown = Assert.IsType<UnknownAriEvent>(first);
        Assert.Equal("ChannelTeleported", unknown.Type);
        Assert.Equal(frame, unknown.RawJson);
        Assert.IsType<UnknownAriEvent>(second);
        Assert.Equal(1, _log.Count("ChannelTeleported"));
    }

    [Fact]
    public void Unknown_fields_are_ignored_and_each_is_logged_once()
    {
        var raw = Transcripts.EventFrames().First(f => f.Type == "StasisStart").Raw;
        var withExtras = raw.Replace("\"args\":", "\"hologram\":{\"x\":1},\"args\":", StringComparison.Ordinal)
            .Replace("\"protocol_id\":", "\"quantum_id\":7,\"protocol_id\":", StringComparison.Ordinal);

        StasisStart? last = null;
        for (var i = 0; i < 300; i++)
        {
            last = Assert.IsType<StasisStart>(_parser.Parse(Encoding.UTF8.GetBytes(withExtras)));
        }

        Assert.Equal(["100"], last!.Args);
        Assert.Equal(1, _log.Count("hologram"));
        Assert.Equal(1, _log.Count("quantum_id"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"type\":\"StasisStart\",\"channel\":")]
    [InlineData("{\"type\":\"StasisStart\",\"channel\":{\"id\":42}}")]
    [InlineData("{\"no_type\":true}")]
    [InlineData("{\"type\":17}")]
    public void Malformed_frame_is_skipped_and_logged(string frame)
    {
        Assert.Null(_parser.Parse(Encoding.UTF8.GetBytes(frame)));
        Assert.Single(_log.Entries);
    }

    [Fact]
    public void Type_after_other_fields_and_escaped_type_names_are_found()
    {
        const string frame = """{"variable":"X","value":"1","type":"Channel\u0056arset","timestamp":"2026-11-22T13:36:58.866+0000","application":"citycontact"}""";
        var message = Assert.IsType<ChannelVarset>(_parser.Parse(Encoding.UTF8.GetBytes(frame)));
        Assert.Equal("X", message.Variable);
        Assert.Equal(AriEventLanes.Global, AriEventLanes.KeyOf(message));
    }
}
