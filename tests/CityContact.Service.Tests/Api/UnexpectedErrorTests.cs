using System.Net;
using System.Text.Json;
using CityContact.Service.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Api;

public sealed class UnexpectedErrorTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    private const string Secret = "connection to 10.0.0.7 failed with password hunter2";

    [Fact]
    public async Task An_unexpected_exception_is_500_problem_with_trace_id_and_no_internals()
    {
        await using var factory = new ServiceFactory(db.ConnectionString);
        using var client = factory.WithWebHostBuilder(host => host.ConfigureServices(services =>
            services.AddSingleton<IStartupFilter, ThrowingRoute>())).CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ServiceFactory.AdminKey);

        var response = await client.GetAsync("/failing");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("hunter2", body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{32}$", JsonSerializer.Deserialize<JsonElement>(body).GetProperty("traceId").GetString());
    }

    /// <summary>Adds a route behind the service's whole pipeline (so inside its exception handler) that always throws.</summary>
    private sealed class ThrowingRoute : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Map("/failing", failing => failing.Run(_ => throw new InvalidOperationException(Secret)));
        };
    }
}
