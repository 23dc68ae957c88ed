using Xunit;
using System.Text;
using CityContact.Telephony.Ami;

namespace CityContact.Telephony.Tests.Ami;

public sealed class AmiFrameDecoderTests
{
    private static List<AmiMessage> Decode(AmiFrameDecoder decoder, string text)
    {
        var output = new List<AmiMessage>();
        decoder.Feed(Encoding.UTF8.GetBytes(text), output);
        return output;
    }

    [Fact]
    public void Banner_is_read_from_its_single_crlf_line_and_the_frame_after_it_parses()
    {
        var decoder = new AmiFrameDecoder(expectBanner: true);
        var frames = Decode(decoder, "Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: a\r\n\r\n");

        Assert.Equal("Asterisk Call Manager/11.0.0", decoder.Banner);
        var frame = Assert.Single(frames);
        Assert.Equal("Success", frame.ResponseStatus);
    }

    [Fact]
    public void Frame_fed_one_byte_at_a_time_parses_like_a_whole_one()
    {
        var decoder = new AmiFrameDecoder(expectBanner: false);
        var output = new List<AmiMessage>();
        foreach (var b in "Event: Hangup\r\nChannel: PJSIP/trunk-00000013\r\nCause: 16\r\n\r\n"u8.ToArray())
        {
            decoder.Feed([b], output);
        }

        var frame = Assert.Single(output);
        Assert.Equal("Hangup", frame.EventName);
        Assert.Equal("16", frame["cause"]);
    }

    [Fact]
    public void Lf_only_frames_parse_like_crlf_ones()
    {
        var frames = Decode(new AmiFrameDecoder(false), "Event: A\nKey: 1\n\nEvent: B\r\nKey: 2\r\n\r\n");

        Assert.Equal(["A", "B"], frames.Select(f => f.EventName));
    }

    [Fact]
    public void Repeated_keys_are_kept_in_order_and_lookup_is_case_insensitive()
    {
        var frame = Assert.Single(Decode(new AmiFrameDecoder(false),
            "Action: Originate\r\nVariable: A=1\r\nChanVariable: X=y\r\nVariable: B=2\r\nVARIABLE: C=3\r\n\r\n"));

        Assert.Equal(["A=1", "B=2", "C=3"], frame.GetAll("variable"));
        Assert.Equal("A=1", frame["Variable"]);
        Assert.Equal(["Action", "Variable", "ChanVariable", "Variable", "VARIABLE"], frame.Fields.Select(f => f.Key));
    }

    [Fact]
    public void Values_keep_their_colons_and_their_padding_after_the_single_separator_space()
    {
        var frame = Assert.Single(Decode(new AmiFrameDecoder(false),
            "Event: VarSet\r\nValue:   minrxlost=000.000000;\r\nWritetrans: (slin@8000)->(alaw@8000)\r\nURI: sip:agent1@127.0.0.1:5081\r\nEmpty:\r\n\r\n"));

        Assert.Equal("  minrxlost=000.000000;", frame["Value"]);
        Assert.Equal("sip:agent1@127.0.0.1:5081", frame["URI"]);
        Assert.Equal("", frame["Empty"]);
    }

    [Fact]
    public void Malformed_lines_are_skipped_and_counted_and_the_frame_survives()
    {
        var decoder = new AmiFrameDecoder(false);
        var frames = Decode(decoder, "Event: A\r\nno colon here\r\n: no key\r\nKey: 1\r\n\r\n");

        var frame = Assert.Single(frames);
        Assert.Equal(["Event", "Key"], frame.Fields.Select(f => f.Key));
        Assert.Equal(2, decoder.MalformedLines);
    }

    [Fact]
    public void Oversized_frame_is_skipped_without_buffering_and_the_next_frame_parses()
    {
        var decoder = new AmiFrameDecoder(false, maxFrameBytes: 4096);
        var output = new List<AmiMessage>();
        decoder.Feed("Event: Huge\r\nData: "u8, output);
        var chunk = Encoding.ASCII.GetBytes(new string('x', 1000));
        for (var i = 0; i < 1024; i++)
        {
            decoder.Feed(chunk, output);
        }
        decoder.Feed("\r\nMore: 1\r\n\r\nEvent: Next\r\n\r\n"u8, output);

        var frame = Assert.Single(output);
        Assert.Equal("Next", frame.EventName);
        Assert.Equal(1, decoder.OversizedFrames);
    }

    [Fact]
    public void Static_entry_point_parses_every_complete_frame_and_ignores_a_trailing_partial_one()
    {
        var frames = AmiFrameDecoder.ParseFrames("Event: A\r\n\r\nEvent: B\r\n\r\nEvent: C\r\n"u8);

        Assert.Equal(["A", "B"], frames.Select(f => f.EventName));
        Assert.Equal("C", AmiFrameDecoder.ParseFrame("Event: C\r\n")?.EventName);
    }

    [Fact]
    public void Wire_text_round_trips()
    {
        var message = new AmiMessage(("Action", "Login"), ("Username", "cc"), ("Variable", "a=b:c"), ("Variable", "d=e"));

        var parsed = AmiFrameDecoder.ParseFrame(message.ToWireText());

        Assert.Equal(message.Fields, parsed!.Fields);
    }
}
