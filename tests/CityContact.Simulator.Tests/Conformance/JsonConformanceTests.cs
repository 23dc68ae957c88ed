using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace CityContact.Simulator.Tests.Conformance;

/// <summary>The comparer must fail on what matters and only pass over the documented differences.</summary>
public sealed class JsonConformanceTests
{
    // StasisStart exactly as recorded in ari-inbound-play-app-hangup.json step 4.
    private const string RecordedStasisStart = """
        {"type":"StasisStart","timestamp":"2026-11-22T13:28:29.256+0000","args":["100"],"channel":{"id":"1795354109.1","name":"PJSIP/trunk-00000001","state":"Ring","protocol_id":"1-26878@127.0.0.1","caller":{"name":"Caller 1","number":"+15551230001"},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"from-trunk","exten":"100","priority":2,"app_name":"Stasis","app_data":"citycontact,100"},"creationtime":"2026-11-22T13:28:29.255+0000","language":"en"},"asterisk_id":"02:fc:00:00:00:01","application":"citycontact"}
        """;

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static JsonElement Mutate(string json, Action<JsonObject> change)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        change(node);
        return Parse(node.ToJsonString());
    }

    /// <summary>What another run of the same call looks like: other ids, times, Call-ID and host.</summary>
    private static JsonElement SimulatorStasisStart(Action<JsonObject>? change = null) => Mutate(RecordedStasisStart, e =>
    {
        e["timestamp"] = "2000-01-01T00:00:00.000+0000";
        e["asterisk_id"] = "0a:00:27:00:00:07";
        var channel = e["channel"]!.AsObject();
        channel["id"] = "1700000000.7";
        channel["name"] = "PJSIP/trunk-0000002a";
        channel["protocol_id"] = "sim-call-7";
        channel["creationtime"] = "2000-01-01T00:00:00.000+0000";
        change?.Invoke(e);
    });

    private static IReadOnlyList<Difference> Compare(JsonElement expected, JsonElement actual, IdMap? ids = null) =>
        new JsonConformance(ids ?? new IdMap(), FieldRules.Ari).Compare(expected, actual);

    [Fact]
    public void Another_run_of_the_same_event_conforms()
    {
        Assert.Empty(Compare(Parse(RecordedStasisStart), SimulatorStasisStart()));
    }

    [Fact]
    public void A_changed_field_is_named_by_its_path()
    {
        var differences = Compare(Parse(RecordedStasisStart), SimulatorStasisStart(e => e["channel"]!["state"] = "Up"));

        var difference = Assert.Single(differences);
        Assert.Equal("$.channel.state", difference.Path);
        Assert.Contains("\"Ring\"", difference.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_field_and_an_extra_field_are_caught()
    {
        var differences = Compare(Parse(RecordedStasisStart), SimulatorStasisStart(e =>
        {
            e["channel"]!.AsObject().Remove("accountcode");
            e["channel"]!["accountCode"] = "";
        }));

        Assert.Equal(["$.channel.accountcode", "$.channel.accountCode"], differences.Select(d => d.Path));
    }

    [Fact]
    public void A_value_of_another_type_is_caught_even_where_the_value_is_ignored()
    {
        var differences = Compare(Parse(RecordedStasisStart), SimulatorStasisStart(e =>
        {
            e["channel"]!["dialplan"]!["priority"] = "2";
            e["channel"]!["protocol_id"] = 7;
        }));

        Assert.Equal(["$.channel.protocol_id", "$.channel.dialplan.priority"], differences.Select(d => d.Path).Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public void A_badly_formatted_timestamp_is_caught()
    {
        var differences = Compare(Parse(RecordedStasisStart), SimulatorStasisStart(e => e["timestamp"] = "2000-01-01T00:00:00Z"));

        Assert.Equal("$.timestamp", Assert.Single(differences).Path);
    }

    [Fact]
    public void A_later_event_must_name_the_same_channel_as_the_earlier_one()
    {
        var ids = new IdMap();
        Assert.Empty(Compare(Parse(RecordedStasisStart), SimulatorStasisStart(), ids));

        var differences = Compare(Parse(RecordedStasisStart), SimulatorStasisStart(e => e["channel"]!["id"] = "1700000000.8"), ids);

        var difference = Assert.Single(differences);
        Assert.Equal("$.channel.id", difference.Path);
        Assert.Contains("1700000000.7", difference.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_recorded_channels_cannot_be_one_simulated_channel()
    {
        var ids = new IdMap();
        Assert.Null(ids.Bind("1795354233.18", "1.1"));

        Assert.NotNull(ids.Bind("1795354233.19", "1.1"));
    }

    [Fact]
    public void A_channel_name_of_another_endpoint_is_caught()
    {
        var differences = Compare(Parse(RecordedStasisStart), SimulatorStasisStart(e => e["channel"]!["name"] = "PJSIP/agent1-0000002a"));

        Assert.Equal("$.channel.name", Assert.Single(differences).Path);
    }

    [Fact]
    public void Arrays_are_compared_in_order_and_length()
    {
        var differences = Compare(Parse("""{"args":["inbound","100"]}"""), Parse("""{"args":["100","inbound"]}"""));
        Assert.Equal(["$.args[0]", "$.args[1]"], differences.Select(d => d.Path));

        Assert.Equal("$.args", Assert.Single(Compare(Parse("""{"args":["100"]}"""), Parse("""{"args":["100","x"]}"""))).Path);
    }

    [Fact]
    public void A_target_uri_must_point_at_the_same_kind_of_object()
    {
        var ids = new IdMap();
        Assert.Null(ids.Bind("1795354109.1", "1.1"));

        Assert.Empty(Compare(Parse("""{"target_uri":"channel:1795354109.1"}"""), Parse("""{"target_uri":"channel:1.1"}"""), ids));
        Assert.Single(Compare(Parse("""{"target_uri":"channel:1795354109.1"}"""), Parse("""{"target_uri":"bridge:1.1"}"""), ids));
    }

    [Fact]
    public void Rtp_statistics_must_keep_their_layout_but_not_their_values()
    {
        const string recorded = """{"variable":"RTPAUDIOQOSRTT","value":"     minrtt=000.000000;     maxrtt=000.000000"}""";

        Assert.Empty(Compare(Parse(recorded), Parse("""{"variable":"RTPAUDIOQOSRTT","value":"     minrtt=001.500000;     maxrtt=002.000000"}""")));
        Assert.Single(Compare(Parse(recorded), Parse("""{"variable":"RTPAUDIOQOSRTT","value":"minrtt=000.000000;maxrtt=000.000000"}""")));
    }

    [Fact]
    public void Other_variables_are_compared_by_value()
    {
        Assert.Single(Compare(Parse("""{"variable":"STASISSTATUS","value":"SUCCESS"}"""), Parse("""{"variable":"STASISSTATUS","value":""}""")));
    }

    [Fact]
    public void The_playback_state_race_accepts_queued_and_playing_only()
    {
        var rules = new[] { FieldRules.PlaybackStateRace };

        Assert.Empty(new JsonConformance(new IdMap(), rules).Compare(Parse("""{"state":"queued"}"""), Parse("""{"state":"playing"}""")));
        Assert.Single(new JsonConformance(new IdMap(), rules).Compare(Parse("""{"state":"queued"}"""), Parse("""{"state":"done"}""")));
    }

    [Fact]
    public void Ids_in_a_recorded_path_are_rewritten_whole()
    {
        var ids = new IdMap();
        ids.Bind("1795354233.1", "9.1");
        ids.Bind("1795354233.18", "9.18");

        Assert.Equal("/ari/channels/9.18/answer", ids.Substitute("/ari/channels/1795354233.18/answer"));
        Assert.Equal("channel=9.18%2C9.1", ids.Substitute("channel=1795354233.18%2C1795354233.1"));
        Assert.Equal("/ari/channels/no-such-channel-id", ids.Substitute("/ari/channels/no-such-channel-id"));
    }
}
