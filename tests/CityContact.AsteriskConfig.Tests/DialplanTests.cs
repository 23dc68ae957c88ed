using CityContact.AsteriskConfig.Tests.Parsing;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>Calls walked through the rendered extensions.conf, as Asterisk would run them.</summary>
public sealed class DialplanTests(RenderedConfig rendered) : IClassFixture<RenderedConfig>
{
    private const string Succeeded = "SUCCESS";
    private const string Failed = "FAILED";

    private Dialplan Plan { get; } = Dialplan.From(rendered.Load("extensions.conf"));

    public static TheoryData<string> TrunkExtensions() =>
        new(Dialplan.From(ShippedFiles.Load("extensions.conf")).Contexts["from-trunk"].Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Shipped_dialplan_takes_the_stasis_app_name_from_the_ari_app_setting()
    {
        var shipped = Dialplan.From(ShippedFiles.Load("extensions.conf"));

        Assert.Equal("@@ARI_APP@@", shipped.Globals["CITYCONTACT_APP"]);
        Assert.Equal(ShippedFiles.DefaultAriApp, Plan.Globals["CITYCONTACT_APP"]);
    }

    [Theory]
    [InlineData("100")]
    [InlineData("+15551230001")]
    [InlineData("0800123456")]
    [InlineData("s")]
    public void Trunk_call_to_any_number_goes_straight_to_stasis_with_inbound_and_that_number(string dialed)
    {
        var call = DialplanWalk.Run(Plan, "from-trunk", dialed, Succeeded);

        Assert.Equal(new ExecutedApplication("from-trunk", Plan.Match("from-trunk", dialed)!, "Stasis", $"citycontact,inbound,{dialed}"), call[0]);
    }

    [Theory]
    [MemberData(nameof(TrunkExtensions))]
    public void Every_trunk_extension_enters_stasis_first_and_hangs_up_when_the_app_lets_the_call_go(string extension)
    {
        var dialed = Dialplan.ExampleFor(extension);

        var call = DialplanWalk.Run(Plan, "from-trunk", dialed, Succeeded);

        Assert.Equal(("Stasis", $"citycontact,inbound,{dialed}"), (call[0].Application, call[0].Arguments));
        Assert.Equal("Hangup", call[^1].Application);
        Assert.DoesNotContain(call, a => a.Application is "Answer" or "Playback" or "VoiceMail");
    }

    [Theory]
    [MemberData(nameof(TrunkExtensions))]
    public void Every_trunk_extension_answers_with_an_apology_and_takes_a_voicemail_when_stasis_fails(string extension)
    {
        var call = DialplanWalk.Run(Plan, "from-trunk", Dialplan.ExampleFor(extension), Failed);

        var afterStasis = call.Skip(1).Select(a => a.Application).Where(a => a is not ("GotoIf" or "Log" or "NoOp")).ToList();
        Assert.Equal(["Answer", "Playback", "VoiceMail", "Hangup"], afterStasis);
        Assert.Equal("citycontact/service-unavailable", call.Single(a => a.Application == "Playback").Arguments);
        Assert.Equal("9999@citycontact,s", call.Single(a => a.Application == "VoiceMail").Arguments);
    }

    [Fact]
    public void Fallback_mailbox_exists_in_voicemail_conf()
    {
        var voicemail = rendered.Load("voicemail.conf");
        var mailbox = Plan.Globals["CITYCONTACT_FALLBACK_MAILBOX"].Split('@');

        var context = voicemail.Single(mailbox[1]);
        var entry = Assert.Single(context.OwnEntries, e => e.Key == mailbox[0]);
        Assert.True(entry.IsObjectAssignment);
        Assert.Equal("4812", entry.Value.Split(',')[0]);
    }

    [Theory]
    [InlineData("*45")]
    [InlineData("*46")]
    public void Agent_feature_code_goes_to_stasis_with_the_code_and_the_agents_extension(string code)
    {
        var agent = new Dictionary<string, string> { ["CALLERID(num)"] = "101" };

        var call = DialplanWalk.Run(Plan, "agents", code, Succeeded, agent);

        Assert.Equal(("Stasis", $"citycontact,feature,{code},101"), (call[0].Application, call[0].Arguments));
        Assert.Equal("Hangup", call[^1].Application);
    }

    [Theory]
    [InlineData("*471", "1")]
    [InlineData("*4712", "12")]
    public void Star47_with_a_group_goes_to_stasis_as_an_emergency_dial_in_of_the_agents_extension(string dialed, string group)
    {
        var call = DialplanWalk.Run(Plan, "agents", dialed, Succeeded, new Dictionary<string, string> { ["CALLERID(num)"] = "104" });

        Assert.Equal(("Stasis", $"citycontact,emergency,{group},104"), (call[0].Application, call[0].Arguments));
        Assert.Equal("Hangup", call[^1].Application);
    }

    [Theory]
    [InlineData("*45")]
    [InlineData("*46")]
    public void Agent_feature_code_signals_congestion_when_stasis_fails(string code)
    {
        var call = DialplanWalk.Run(Plan, "agents", code, Failed, new Dictionary<string, string> { ["CALLERID(num)"] = "102" });

        Assert.Equal("Congestion", call[^1].Application);
    }

    [Fact]
    public void Agents_reach_every_other_agent_by_extension_through_pjsip()
    {
        var pjsip = rendered.Load("pjsip.conf");
        var agents = pjsip.OfType("endpoint").Where(e => pjsip.Value(e, "context") == "agents").Select(e => e.Name).ToList();

        Assert.Equal(["101", "102", "103", "104"], agents);
        foreach (var agent in agents)
        {
            var call = DialplanWalk.Run(Plan, "agents", agent, Succeeded);
            Assert.Equal(("Dial", $"PJSIP/{agent},30"), (call[0].Application, call[0].Arguments));
            Assert.Equal("Hangup", call[^1].Application);
        }
    }

    [Fact]
    public void Channels_created_over_ari_find_an_s_extension_in_the_agents_context()
    {
        var call = DialplanWalk.Run(Plan, "agents", "s", Succeeded);

        Assert.Equal(["Hangup"], call.Select(a => a.Application));
    }

    [Fact]
    public void Agents_cannot_reach_the_trunk_or_the_fallback_directly()
    {
        Assert.Null(Plan.Match("agents", "+15551230001"));
        Assert.Null(Plan.Match("agents", "0800123456"));
    }
}
