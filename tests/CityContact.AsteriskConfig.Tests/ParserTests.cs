using CityContact.AsteriskConfig.Tests.Parsing;

namespace CityContact.AsteriskConfig.Tests;

/// <summary>The reader the other tests rely on must read Asterisk's format the way Asterisk does.</summary>
public sealed class ParserTests
{
    [Fact]
    public void Section_inherits_its_templates_entries_before_its_own()
    {
        var file = AsteriskConfigFile.Parse(
            """
            [base](!)
            type = endpoint
            allow = ulaw
            [101](base)
            allow = alaw ; a comment
            context = agents
            """, "t.conf");

        var section = file.Single("101");

        Assert.Equal(["ulaw", "alaw"], file.Values(section, "allow"));
        Assert.Equal("endpoint", file.Value(section, "type"));
        Assert.Empty(file.Named("base"));
    }

    [Fact]
    public void Comments_end_a_value_unless_the_semicolon_is_escaped()
    {
        var file = AsteriskConfigFile.Parse(
            """
            [general]
            ;-- a block
            comment = ignored
            --;
            ;------------------ a ruler is a line comment, not a block
            secret = abc\;def ; trailing comment
            """, "t.conf");

        var general = file.Single("general");

        Assert.Equal("abc;def", file.Value(general, "secret"));
        Assert.Null(file.Value(general, "comment"));
    }

    [Theory]
    [InlineData("[general]\nno equals sign here")]
    [InlineData("key = value before any section")]
    [InlineData("[a](missing)\nx = 1")]
    [InlineData("[general]\n#include other.conf")]
    public void Malformed_input_is_rejected(string text)
    {
        Assert.Throws<FormatException>(() =>
        {
            var file = AsteriskConfigFile.Parse(text, "t.conf");
            foreach (var section in file.Sections)
            {
                file.EntriesOf(section);
            }
        });
    }

    [Fact]
    public void Dialplan_numbers_n_priorities_and_keeps_labels()
    {
        var plan = Dialplan.From(AsteriskConfigFile.Parse(
            """
            [ctx]
            exten => _X.,1,Answer()
             same => n(next),Playback(hello-world)
             same => n,Hangup()
            """, "e.conf"));

        var steps = plan.Contexts["ctx"]["_X."];

        Assert.Equal([1, 2, 3], steps.Select(s => s.Priority));
        Assert.Equal("next", steps[1].Label);
        Assert.Equal(("Playback", "hello-world"), (steps[1].Application, steps[1].Arguments));
    }

    [Theory]
    [InlineData("_X.", "100", true)]
    [InlineData("_X.", "1", false)]
    [InlineData("_+X.", "+15551230001", true)]
    [InlineData("_1XX", "101", true)]
    [InlineData("_1XX", "1011", false)]
    [InlineData("_[*]4X", "*45", true)]
    public void Extension_patterns_match_like_asterisk(string pattern, string dialed, bool matches)
    {
        Assert.Equal(matches, Dialplan.PatternMatches(pattern, dialed));
    }
}
