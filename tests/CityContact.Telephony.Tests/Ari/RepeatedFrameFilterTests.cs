using System.Text;
using CityContact.Telephony.Ari;
using Xunit;

namespace CityContact.Telephony.Tests.Ari;

public sealed class RepeatedFrameFilterTests
{
    private static byte[] Dtmf(string digit, string timestamp) =>
        Encoding.UTF8.GetBytes($$$"""{"type":"ChannelDtmfReceived","timestamp":"{{{timestamp}}}","digit":"{{{digit}}}","duration_ms":280,"channel":{"id":"1.1"}}""");

    [Fact]
    public void A_repeat_is_recognised_and_the_same_digit_pressed_again_later_is_not()
    {
        var filter = new RepeatedFrameFilter();

        Assert.True(filter.IsFirst(Dtmf("2", "2026-12-07T14:45:40.402+0000")));
        Assert.False(filter.IsFirst(Dtmf("2", "2026-12-07T14:45:40.402+0000")));
        Assert.True(filter.IsFirst(Dtmf("2", "2026-12-07T14:45:41.017+0000")));
        Assert.True(filter.IsFirst(Dtmf("3", "2026-12-07T14:45:40.402+0000")));
    }

    [Fact]
    public void Frames_older_than_the_window_are_forgotten_and_the_window_stays_bounded()
    {
        var filter = new RepeatedFrameFilter();
        var first = Dtmf("1", "2026-12-07T00:00:00.000+0000");
        Assert.True(filter.IsFirst(first));
        for (var i = 1; i < RepeatedFrameFilter.Window; i++)
        {
            Assert.True(filter.IsFirst(Encoding.UTF8.GetBytes($"{{\"type\":\"ChannelVarset\",\"n\":{i}}}")));
        }
        Assert.False(filter.IsFirst(first));

        Assert.True(filter.IsFirst(Encoding.UTF8.GetBytes("{\"type\":\"ChannelVarset\",\"n\":-1}")));
        Assert.True(filter.IsFirst(first));
    }
}
