using System.Text.Json;
using CityContact.Telephony.Ari.Models;
using Xunit;

namespace CityContact.Telephony.Tests.Ari;

public sealed class AriDateConverterTests
{
    [Theory]
    [InlineData("2026-11-22T13:36:58.866+0000", "2026-11-22T13:36:58.8660000+00:00")]
    [InlineData("2026-11-22T13:36:58.866+00:00", "2026-11-22T13:36:58.8660000+00:00")]
    [InlineData("2026-11-22T13:36:58+0100", "2026-11-22T13:36:58.0000000+01:00")]
    [InlineData("2026-11-22T13:36:58.866-0530", "2026-11-22T13:36:58.8660000-05:30")]
    [InlineData("2026-11-22T13:36:58.866\\u002B0000", "2026-11-22T13:36:58.8660000+00:00")]
    public void Asterisk_and_iso_dates_are_read_with_their_offset(string json, string expected)
    {
        var channel = JsonSerializer.Deserialize($$"""{"id":"1","creationtime":"{{json}}"}""", AriJsonContext.Default.Channel)!;

        var want = DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(want, channel.Creationtime);
        Assert.Equal(want.Offset, channel.Creationtime.Offset);
    }

    [Fact]
    public void A_date_that_is_no_date_is_a_json_error()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"id":"1","creationtime":"yesterday"}""", AriJsonContext.Default.Channel));
    }
}
