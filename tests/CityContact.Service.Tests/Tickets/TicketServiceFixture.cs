using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Tickets;

/// <summary>A clock the test sets; timers still run on real time.</summary>
public sealed class TestClock : TimeProvider
{
    private long utcTicks = DateTimeOffset.UtcNow.UtcTicks;

    public DateTimeOffset Now
    {
        get => new(Interlocked.Read(ref utcTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref utcTicks, value.UtcTicks);
    }

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>The service on its own database with a settable clock, plus helpers to seed departments, categories and keys.</summary>
public class TicketServiceFixture : DatabaseFixture
{
    public TestClock Clock { get; } = new();

    public WebApplicationFactory<CityContact.Service.ServiceEntryPoint> Factory { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Factory = new ServiceFactory(ConnectionString, Settings)
            .WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock)));
        _ = Factory.Server;
    }

    public override async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await base.DisposeAsync();
    }

    public HttpClient Client(string? key)
    {
        var client = Factory.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }
        return client;
    }

    public HttpClient Admin => Client(ServiceFactory.AdminKey);

    public async Task<(long Id, string Prefix, string Key)> NewKeyAsync(string role)
    {
        var response = await Admin.PostAsJsonAsync("/api/keys", new { name = $"{role} {Guid.NewGuid():N}", role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (created.GetProperty("id").GetInt64(), created.GetProperty("prefix").GetString()!, created.GetProperty("key").GetString()!);
    }

    public async Task<long> NewDepartmentAsync(string code, string? email = null)
    {
        var response = await Admin.PostAsJsonAsync("/api/departments", new { code, name = $"Department {code}", email });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    public async Task<long> NewCategoryAsync(string code, long departmentId, int slaBusinessHours = 8, bool active = true)
    {
        var response = await Admin.PostAsJsonAsync("/api/ticket-categories", new
        {
            code,
            name = $"Category {code}",
            description = $"Reports of {code}",
            departmentId,
            slaBusinessHours,
            keywords = new[] { code, "street" },
            group = "Streets",
            active,
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
