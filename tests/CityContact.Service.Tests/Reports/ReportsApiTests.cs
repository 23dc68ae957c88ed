using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityContact.Service.Features.Reports;
using CityContact.Service.Tests.Infrastructure;
using Dapper;

namespace CityContact.Service.Tests.Reports;

public sealed class ReportsApiTests(SeededCity city) : IClassFixture<SeededCity>, IAsyncLifetime, IDisposable
{
    private static readonly string[] Mayor = ["primar@primaria.example"];
    private static readonly string[] BadRecipients = ["primar@", "ok@primaria.example"];
    private ServiceFactory service = null!;

    public Task InitializeAsync()
    {
        service = new ServiceFactory(city.ConnectionString, SeededCity.ServiceSettings());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await service.DisposeAsync();

    public void Dispose() => service.Dispose();

    private async Task<HttpClient> ClientWithRoleAsync(string role)
    {
        var admin = service.ClientWithKey(ServiceFactory.AdminKey);
        var created = await admin.PostAsJsonAsync("/api/keys", new { name = $"{role}-{Guid.NewGuid():N}", role });
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString();
        return service.ClientWithKey(key);
    }

    [Fact]
    public async Task A_schedule_with_a_bad_cron_time_zone_and_recipient_is_refused_naming_each_field()
    {
        var admin = service.ClientWithKey(ServiceFactory.AdminKey);

        var response = await admin.PostAsJsonAsync("/api/reports/schedules", new
        {
            name = "Zilnic", kind = "daily", cron = "every morning", timeZone = "Europe/Atlantis", recipients = BadRecipients,
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["cron", "recipients", "timeZone"], errors.EnumerateObject().Select(p => p.Name).Order());
        Assert.Contains("primar@", errors.GetProperty("recipients")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(await SchedulesAsync());
    }

    [Fact]
    public async Task Only_an_admin_edits_schedules_and_a_reporter_reads_reports()
    {
        var reporter = await ClientWithRoleAsync("reporter");
        var agent = await ClientWithRoleAsync("agent");

        var refused = await reporter.PostAsJsonAsync("/api/reports/schedules", new { name = "x", kind = "daily", cron = "0 0 7 * * ?", timeZone = "Europe/Bucharest", recipients = Mayor });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/reports/daily?date=2026-03-10")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reporter.GetAsync("/api/reports/daily?date=2026-03-10")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await service.ClientWithKey(null).GetAsync("/api/reports/runs")).StatusCode);
    }

    [Fact]
    public async Task A_stored_schedule_becomes_a_quartz_cron_trigger_that_survives_a_restart_and_goes_with_its_deletion()
    {
        var admin = service.ClientWithKey(ServiceFactory.AdminKey);

        var created = await admin.PostAsJsonAsync("/api/reports/schedules", new
        {
            name = "Raport lunar Taxe", kind = "monthly", cron = "0 0 7 1 * ?", timeZone = "Europe/Bucharest", recipients = Mayor, departmentIds = new[] { city.Taxes },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var schedule = (await created.Content.ReadFromJsonAsync<ReportSchedule>())!;
        Assert.Equal([city.Taxes], schedule.DepartmentIds);

        await service.DisposeAsync();
        service = new ServiceFactory(city.ConnectionString, SeededCity.ServiceSettings());
        admin = service.ClientWithKey(ServiceFactory.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/reports/schedules/{schedule.Id}")).StatusCode);
        var (cron, zone) = await CronTriggerAsync(schedule.Id);
        Assert.Equal(("0 0 7 1 * ?", "Europe/Bucharest"), (cron, zone));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/reports/schedules/{schedule.Id}")).StatusCode);
        Assert.Equal((null, null), await CronTriggerAsync(schedule.Id));
    }

    [Fact]
    public async Task A_report_is_served_as_html_with_embedded_charts_or_as_csv_rows()
    {
        var reporter = await ClientWithRoleAsync("reporter");

        var html = await reporter.GetAsync($"/api/reports/daily?date=2026-03-10&departments={city.Taxes}&language=en");
        Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
        var body = await html.Content.ReadAsStringAsync();
        Assert.Contains("Daily report", body, StringComparison.Ordinal);
        Assert.Contains("data-key=\"offered\">5<", body, StringComparison.Ordinal);
        Assert.Contains("data:image/png;base64,", body, StringComparison.Ordinal);

        var csv = await reporter.GetAsync("/api/reports/daily?date=2026-03-10&format=csv&rows=tickets");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        Assert.Equal(6, System.Text.Encoding.UTF8.GetString(bytes).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length); // header + 5 tickets

        var bad = await reporter.GetAsync("/api/reports/hourly?format=pdf");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["format", "kind"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    private async Task<IReadOnlyList<long>> SchedulesAsync()
    {
        await using var connection = await city.DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<long>("SELECT id FROM report_schedules")];
    }

    private async Task<(string? Cron, string? Zone)> CronTriggerAsync(long scheduleId)
    {
        await using var connection = await city.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<(string?, string?)>(
            "SELECT cron_expression, time_zone_id FROM qrtz_cron_triggers WHERE trigger_name = @name", new { name = ReportSchedules.JobKeyOf(scheduleId).Name });
    }
}
