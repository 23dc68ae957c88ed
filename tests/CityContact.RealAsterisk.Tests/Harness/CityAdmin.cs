using System.Net.Http.Json;
using System.Text.Json;

namespace CityContact.RealAsterisk.Tests.Harness;

/// <summary>What a city's admin does over the REST API before the calls of a test: publish a flow, declare a holiday.</summary>
public static class CityAdmin
{
    /// <summary>Creates, publishes and puts <paramref name="flowCode"/> on <paramref name="number"/>; fails with the API's answer otherwise.</summary>
    public static async Task PublishFlowAsync(this RealAsteriskService service, string flowCode, string number, object definition, CancellationToken ct)
    {
        using var admin = service.Admin();
        var response = await admin.PostAsJsonAsync("/api/ivr/flows", new { code = flowCode, name = flowCode, definition }, ct);
        var version = (await Expect(response, ct)).GetProperty("version").GetInt32();
        var versions = response.Headers.Location!.OriginalString; // /api/ivr/flows/{id}/versions
        await Expect(await admin.PostAsync(new Uri($"{versions}/{version}/publish", UriKind.Relative), null, ct), ct);
        await Expect(await admin.PutAsJsonAsync($"/api/ivr/numbers/{Uri.EscapeDataString(number)}", new { flowCode }, ct), ct);
    }

    /// <summary>Adds a whole-day holiday to the default flow's city-hall schedule, keeping its weekly hours.</summary>
    public static async Task DeclareHolidayAsync(this RealAsteriskService service, DateOnly day, string name, CancellationToken ct)
    {
        using var admin = service.Admin();
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/ivr/schedules", ct);
        var id = list.EnumerateArray().Single(s => s.GetProperty("code").GetString() == "city-hall").GetProperty("id").GetInt64();
        var schedule = await admin.GetFromJsonAsync<JsonElement>($"/api/ivr/schedules/{id}", ct);
        var holidays = schedule.GetProperty("holidays").EnumerateArray().Select(h => (object)h).ToList();
        holidays.Add(new { day = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), name });
        await Expect(await admin.PutAsJsonAsync($"/api/ivr/schedules/{id}", new
        {
            code = schedule.GetProperty("code").GetString(),
            name = schedule.GetProperty("name").GetString(),
            timeZone = schedule.GetProperty("timeZone").GetString(),
            hours = schedule.GetProperty("hours"),
            holidays,
        }, ct), ct);
    }

    private static async Task<JsonElement> Expect(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {body}");
        }
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }
}
