using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CityContact.Service.Tests.Infrastructure;

/// <summary>The whole service in memory against a test database, with a known bootstrap admin key.</summary>
public sealed class ServiceFactory(string connectionString, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<CityContact.Service.ServiceEntryPoint>
{
    public const string AdminKey = "test-bootstrap-admin-key-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:CityContact", connectionString);
        builder.UseSetting("Auth:BootstrapAdminKey", AdminKey);
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient ClientWithKey(string? key)
    {
        var client = CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }
        return client;
    }
}

/// <summary>A database plus the service running on it, shared by the tests of one class.</summary>
public sealed class ServiceFixture : DatabaseFixture
{
    public ServiceFactory Factory { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Factory = new ServiceFactory(ConnectionString);
        _ = Factory.Server; // start now, so that a failing start fails the fixture with its message
    }

    public override async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await base.DisposeAsync();
    }
}
