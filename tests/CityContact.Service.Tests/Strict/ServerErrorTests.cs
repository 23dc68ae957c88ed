using System.Net;
using System.Net.Http.Json;
using CityContact.Service.Tests.Tickets;
using static CityContact.Service.Tests.Strict.StrictApi;

namespace CityContact.Service.Tests.Strict;

/// <summary>The inputs that answered 500 (and one that stored a schedule that could never run) are now 400s that change nothing.</summary>
public sealed class ServerErrorTests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    private static readonly string[] Boss = ["boss@example.org"];
    private static readonly long[] UnknownDepartment = [999999];

    [Fact]
    public async Task A_cron_that_never_fires_is_refused_and_nothing_is_stored()
    {
        var before = await service.ScalarAsync<long>("SELECT count(*) FROM report_schedules");
        var response = await service.Admin.PostAsJsonAsync("/api/reports/schedules", new
        {
            name = "Never", kind = "daily", cron = "0 0 8 30 2 ?", timeZone = "Europe/Bucharest", recipients = Boss,
        });
        await ProblemAsync(response, HttpStatusCode.BadRequest, "cron");
        Assert.Equal(before, await service.ScalarAsync<long>("SELECT count(*) FROM report_schedules"));
    }

    [Fact]
    public async Task A_recipient_of_a_megabyte_and_an_unknown_department_are_refused()
    {
        var response = await service.Admin.PostAsJsonAsync("/api/reports/schedules", new
        {
            name = "Big", kind = "daily", cron = "0 0 8 * * ?", timeZone = "Europe/Bucharest",
            recipients = new[] { new string('a', 1 << 20) + "@example.org" }, departmentIds = UnknownDepartment,
        });
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "recipients");
        Assert.True(problem.GetProperty("errors").TryGetProperty("departmentIds", out _));
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length < 10_000);
    }

    [Fact]
    public async Task A_report_for_the_year_9999_is_a_bad_date_not_a_crash()
    {
        await ProblemAsync(await service.Admin.GetAsync("/api/reports/yearly?date=9999-12-31"), HttpStatusCode.BadRequest, "date");
        await ProblemAsync(await service.Admin.GetAsync("/api/reports/daily?date=0001-01-01"), HttpStatusCode.BadRequest, "date");
    }

    [Theory]
    [InlineData("""{"name":"Ana","sipEndpoint":"PJSIP/s500-1","skills":[{"penalty":1}]}""", "skills[0].skill")]
    [InlineData("""{"name":"Ana","sipEndpoint":"PJSIP/s500-2","skills":[{"skill":"taxes","penalty":-5}]}""", "skills[0].penalty")]
    [InlineData("""{"name":"Ana","sipEndpoint":"PJSIP/s500-3","email":"nope"}""", "email")]
    [InlineData("""{"name":"Ana","sipEndpoint":"PJSIP/s500-4","departmentId":999999}""", "departmentId")]
    [InlineData("""{"name":"Ana","sipEndpoint":"PJSIP/s500-5","skills":[null]}""", "skills[0]")]
    public async Task A_bad_agent_is_400_naming_the_field_and_stores_nothing(string body, string field)
    {
        var before = await service.ScalarAsync<long>("SELECT count(*) FROM agents");
        await ProblemAsync(await service.Admin.PostAsync("/api/agents", Json(body)), HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await service.ScalarAsync<long>("SELECT count(*) FROM agents"));
    }

    [Fact]
    public async Task An_agent_name_of_a_megabyte_is_400()
    {
        await ProblemAsync(await service.Admin.PostAsJsonAsync("/api/agents", new { name = new string('x', 1 << 20), sipEndpoint = "PJSIP/s500-big" }),
            HttpStatusCode.BadRequest, "name");
    }
}
