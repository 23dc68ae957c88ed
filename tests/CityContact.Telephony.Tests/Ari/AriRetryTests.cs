using System.Net;
using CityContact.Telephony.Ari;
using CityContact.Telephony.Ari.Rest;
using Xunit;

namespace CityContact.Telephony.Tests.Ari;

/// <summary>
/// Which requests are sent again after a transport failure (a connection Asterisk dropped beyond its HTTP session limit):
/// those that do no harm when Asterisk sees them twice, a bounded number of times, and never an error status.
/// </summary>
public sealed class AriRetryTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    /// <summary>Drops the first <paramref name="drops"/> requests as a closed connection does, then answers with <paramref name="status"/>.</summary>
    private sealed class DroppingHandler(int drops, HttpStatusCode status = HttpStatusCode.NoContent, string body = "") : HttpMessageHandler
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _requests) <= drops)
            {
                throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely.");
            }
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body) });
        }
    }

    private static AriRestClient Client(HttpMessageHandler handler) => new(new HttpClient(handler),
        new AriOptions { BaseUrl = new Uri("http://127.0.0.1:1/"), User = "cc", Password = "cc", TransientRetryDelay = TimeSpan.FromMilliseconds(1) });

    [Fact]
    public async Task Answer_and_hangup_are_sent_again_after_a_dropped_connection_up_to_the_retry_limit()
    {
        var twice = new DroppingHandler(drops: 2);
        await Client(twice).Channels.AnswerAsync("1.1", Ct);
        Assert.Equal(3, twice.Requests);

        var always = new DroppingHandler(drops: int.MaxValue);
        await Assert.ThrowsAsync<HttpRequestException>(() => Client(always).Channels.HangupAsync("1.1", HangupReasons.Normal, Ct));
        Assert.Equal(3, always.Requests);
    }

    [Fact]
    public async Task An_originate_is_not_sent_again_nor_is_a_request_Asterisk_answered_with_an_error()
    {
        var dropped = new DroppingHandler(drops: 1);
        await Assert.ThrowsAsync<HttpRequestException>(() => Client(dropped).Channels.OriginateAsync(new OriginateRequest { Endpoint = "PJSIP/101" }, Ct));
        Assert.Equal(1, dropped.Requests);

        var refused = new DroppingHandler(drops: 0, HttpStatusCode.InternalServerError, """{"message":"Internal Server Error"}""");
        await Assert.ThrowsAsync<AriServerErrorException>(() => Client(refused).Channels.AnswerAsync("1.1", Ct));
        Assert.Equal(1, refused.Requests);
    }
}
