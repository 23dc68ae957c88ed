using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Infrastructure;

namespace CityContact.Service.Tests.Api;

// A service of its own: the failures counted here must not leak into other tests' address.
public sealed class RateLimitTests(ServiceFixture service) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task Twenty_bad_keys_in_a_minute_then_the_address_gets_429_for_bad_keys_but_a_good_key_still_works()
    {
        var guesser = service.Factory.ClientWithKey("cck_0badc0de_guessing-guessing-guessing-guessing-gue");
        for (var attempt = 1; attempt <= 20; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("/api/calls")).StatusCode);
        }

        var limited = await guesser.GetAsync("/api/calls");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Equal(429, (await limited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32());
        Assert.True(limited.Headers.RetryAfter is not null);
        var admin = service.Factory.ClientWithKey(ServiceFactory.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/calls")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await guesser.GetAsync("/api/calls")).StatusCode);
        // Health stays reachable for the load balancer.
        Assert.Equal(HttpStatusCode.OK, (await service.Factory.CreateClient().GetAsync("/health/live")).StatusCode);
    }
}
