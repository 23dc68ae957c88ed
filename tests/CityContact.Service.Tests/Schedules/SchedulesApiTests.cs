using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CityContact.Service.Features.Ivr;
using CityContact.Service.Features.Schedules;
using CityContact.Service.Infrastructure.Http;
using CityContact.Service.Tests.Ivr;
using Microsoft.Extensions.DependencyInjection;

namespace CityContact.Service.Tests.Schedules;

/// <summary>Schedules and holidays over the admin REST API; the IVR's in-memory copy follows every change.</summary>
public sealed class SchedulesApiTests : IAsyncLifetime
{
    private IvrHost _host = null!;

    private static CancellationToken Ct => TestContext.Timeout(40);

    public async Task InitializeAsync() => _host = await IvrHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static object Library(string zone = "Europe/Bucharest") => new
    {
        code = "library",
        name = "City library",
        timeZone = zone,
        hours = new[] { new { dayOfWeek = 1, opens = "09:00", closes = "13:00" }, new { dayOfWeek = 1, opens = "14:00", closes = "18:00" } },
        holidays = new object[] { new { day = "2025-12-25", name = "Christmas" }, new { day = "2025-12-24", name = "Christmas Eve", opens = "09:00", closes = "12:00" } },
    };

    [Fact]
    public async Task A_schedule_is_created_read_updated_and_deleted_and_the_ivr_sees_each_change()
    {
        using var admin = _host.Admin();
        var catalog = _host.Services.GetRequiredService<FlowCatalog>();

        var created = await admin.PostAsJsonAsync("/api/ivr/schedules", Library(), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var schedule = await created.Content.ReadFromJsonAsync<Schedule>(Ct);
        Assert.Equal("Europe/Bucharest", schedule!.TimeZone);
        Assert.Equal([new OpeningHours(1, new(9, 0), new(13, 0)), new OpeningHours(1, new(14, 0), new(18, 0))], schedule.Hours);
        Assert.Equal(new Holiday(new(2025, 12, 24), "Christmas Eve", new(9, 0), new(12, 0)), schedule.Holidays[0]);
        Assert.Equal("library", catalog.Schedule("library")?.Code);

        var updated = await admin.PutAsJsonAsync($"/api/ivr/schedules/{schedule.Id}", Library("America/New_York"), Ct);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("America/New_York", (await admin.GetFromJsonAsync<Schedule>($"/api/ivr/schedules/{schedule.Id}", Ct))!.TimeZone);
        Assert.Equal("America/New_York", catalog.Schedule("library")?.TimeZone);
        Assert.Contains((await admin.GetFromJsonAsync<Page<ScheduleSummary>>("/api/ivr/schedules", Ct))!.Items, s => s.Code == "library");

        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/ivr/schedules", Library(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/ivr/schedules/{schedule.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/ivr/schedules/{schedule.Id}", Ct)).StatusCode);
        Assert.Null(catalog.Schedule("library"));
    }

    [Fact]
    public async Task Every_invalid_field_is_named_in_the_problem()
    {
        using var admin = _host.Admin();
        var invalid = new
        {
            code = "Bad Code",
            name = "",
            timeZone = "Mars/Olympus_Mons",
            hours = new[] { new { dayOfWeek = 8, opens = "9 o'clock", closes = "08:00" }, new { dayOfWeek = 2, opens = "10:00", closes = "09:00" } },
            holidays = new object[] { new { day = "25/12/2025", name = "Christmas" }, new { day = "2025-12-31", name = "Eve", opens = "09:00" } },
        };

        var response = await admin.PostAsJsonAsync("/api/ivr/schedules", invalid, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var fields = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Equal(["code", "name", "timeZone", "hours[0].dayOfWeek", "hours[0].opens", "hours[1].closes", "holidays[0].day", "holidays[1].closes"], fields);
        Assert.DoesNotContain((await admin.GetFromJsonAsync<Page<ScheduleSummary>>("/api/ivr/schedules", Ct))!.Items, s => s.Name == "");
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        using var admin = _host.Admin();

        var response = await admin.PostAsync("/api/ivr/schedules", new StringContent("{\"code\": \"x\", \"hours\": [", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_schedule_the_live_flow_reads_cannot_be_deleted_or_renamed()
    {
        using var admin = _host.Admin();
        var cityHall = (await admin.GetFromJsonAsync<Page<ScheduleSummary>>("/api/ivr/schedules", Ct))!.Items.Single(s => s.Code == DefaultFlow.ScheduleCode);
        var renamed = new { code = "town-hall", name = "Town hall", timeZone = "Europe/Bucharest", hours = Array.Empty<object>(), holidays = Array.Empty<object>() };

        var delete = await admin.DeleteAsync($"/api/ivr/schedules/{cityHall.Id}", Ct);
        var rename = await admin.PutAsJsonAsync($"/api/ivr/schedules/{cityHall.Id}", renamed, Ct);

        Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, rename.StatusCode);
        Assert.NotNull(_host.Services.GetRequiredService<FlowCatalog>().Schedule(DefaultFlow.ScheduleCode));
    }
}
