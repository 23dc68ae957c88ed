using CityContact.Service.Features.Voicemail;

namespace CityContact.Service.Tests.Voicemail;

/// <summary>Asterisk 22's msgNNNN.txt, as app_voicemail's leave_voicemail writes it, and the ways it can go wrong.</summary>
public sealed class FallbackMessageFileTests
{
    /// <summary>A message file byte for byte as leave_voicemail writes it (fprintf of its header, then flag and duration).</summary>
    public static string AsteriskFile(string callerId, string msgId = "1741724102-00000000", long origTime = 1741724102, int duration = 12) => $"""
        ;
        ; Message Information file
        ;
        [message]
        origmailbox=9999
        context=citycontact-unavailable
        exten=s
        rdnis=unknown
        priority=4
        callerchan=PJSIP/trunk-00000002
        callerid={callerId}
        origdate=Tue Mar 11 08:15:02 PM UTC 2025
        origtime={origTime}
        category=
        msg_id={msgId}
        flag=
        duration={duration}

        """;

    [Fact]
    public void A_message_with_caller_name_and_number_gives_both_the_time_the_length_and_the_msg_id()
    {
        var message = FallbackMessageFile.Parse(AsteriskFile("\"Ion Popescu\" <0722123456>"));

        Assert.Equal("1741724102-00000000", message.Key);
        Assert.Equal(("Ion Popescu", "0722123456"), (message.CallerName, message.CallerNumber));
        Assert.Equal(new DateTimeOffset(2025, 3, 11, 20, 15, 2, TimeSpan.Zero), message.LeftAt);
        Assert.Equal(12, message.DurationSeconds);
        Assert.Equal(("9999", "s"), (message.Mailbox, message.Exten));
    }

    [Theory]
    [InlineData("0722123456", null, "0722123456")]
    [InlineData("+40 722 123 456", null, "+40722123456")]
    [InlineData("<+40256000001>", null, "+40256000001")]
    [InlineData("Ion Popescu <0722123456>", "Ion Popescu", "0722123456")]
    [InlineData("\"Popescu \\\"Nelu\\\" Ion\" <0722123456>", "Popescu \"Nelu\" Ion", "0722123456")]
    [InlineData("\"Primaria\" <0256969", "Primaria", "0256969")]
    [InlineData("Ion Popescu", "Ion Popescu", null)]
    [InlineData("\"0722123456\"", "0722123456", null)]
    [InlineData("Unknown", null, null)]
    [InlineData("", null, null)]
    public void Caller_id_is_split_as_asterisk_splits_it(string callerId, string? name, string? number)
    {
        var message = FallbackMessageFile.Parse(AsteriskFile(callerId));

        Assert.Equal((name, number), (message.CallerName, message.CallerNumber));
    }

    [Fact]
    public void A_file_without_msg_id_gets_a_stable_key_from_its_content()
    {
        var legacy = AsteriskFile("0722123456").Replace("msg_id=1741724102-00000000\n", "", StringComparison.Ordinal);

        var first = FallbackMessageFile.Parse(legacy);
        var again = FallbackMessageFile.Parse(legacy);
        var other = FallbackMessageFile.Parse(legacy.Replace("duration=12", "duration=13", StringComparison.Ordinal));

        Assert.StartsWith("sha-", first.Key, StringComparison.Ordinal);
        Assert.Equal(first.Key, again.Key);
        Assert.NotEqual(first.Key, other.Key);
    }

    [Fact]
    public void Missing_optional_fields_leave_them_empty()
    {
        var message = FallbackMessageFile.Parse("[message]\norigtime=1741724102\nmsg_id=1741724102-00000001\n");

        Assert.Equal((null, null, null, null, null), (message.CallerName, message.CallerNumber, message.DurationSeconds, message.Mailbox, message.Exten));
        Assert.Equal("1741724102-00000001", message.Key);
    }

    [Fact]
    public void Windows_line_endings_spaces_around_equals_and_comments_are_read_as_asterisk_reads_them()
    {
        var message = FallbackMessageFile.Parse(
            "; written by hand\r\n[general]\r\norigtime=1\r\n[message]\r\norigtime => 1741724102 ; unix\r\ncallerid = \"A\\;B\" <0722123456>\r\nduration=3\r\n");

        Assert.Equal(new DateTimeOffset(2025, 3, 11, 20, 15, 2, TimeSpan.Zero), message.LeftAt);
        Assert.Equal(("A;B", "0722123456", 3), (message.CallerName, message.CallerNumber, message.DurationSeconds));
    }

    [Theory]
    [InlineData("", "no [message] section")]
    [InlineData("\u0000\u0001binary garbage\u00ff", "no [message] section")]
    [InlineData("callerid=0722123456\norigtime=1741724102\n", "no [message] section")]
    [InlineData("[message]\ncallerid=0722123456\nduration=12\n", "no origtime")]
    [InlineData("[message]\norigtime=\n", "no origtime")]
    [InlineData("[message]\norigtime=yesterday\n", "origtime is not a unix time")]
    [InlineData("[message]\norigtime=-5\n", "origtime is not a unix time")]
    [InlineData("[message]\norigtime=1741724102\nduration=long\n", "duration is not a number of seconds")]
    [InlineData("[message]\norigtime=1741724102\nmsg_id=../../etc/passwd\n", "msg_id has unexpected characters")]
    public void A_malformed_file_is_refused_naming_what_is_wrong(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => FallbackMessageFile.Parse(text));

        Assert.Equal(reason, error.Message);
    }

    [Fact]
    public void The_refusal_never_quotes_the_callers_data()
    {
        var error = Assert.Throws<FormatException>(() => FallbackMessageFile.Parse("[message]\ncallerid=\"Ion Popescu\" <0722123456>\norigtime=0722123456x\n"));

        Assert.DoesNotContain("0722", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Popescu", error.Message, StringComparison.Ordinal);
    }
}
