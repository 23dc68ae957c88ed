using System.Net.Http.Json;
using System.Text.Json;
using Dapper;

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
        var id = list.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("code").GetString() == "city-hall").GetProperty("id").GetInt64();
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

    /// <summary>Creates an agent on the deskphone <c>PJSIP/&lt;extension&gt;</c> with one skill and logs them in; returns the id.</summary>
    public static async Task<long> AddAgentAsync(this RealAsteriskService service, string extension, string skill, CancellationToken ct)
    {
        using var admin = service.Admin();
        var created = await Expect(await admin.PostAsJsonAsync("/api/agents", new
        {
            name = $"Agent {extension}", sipEndpoint = $"PJSIP/{extension}", skills = new[] { new { skill, penalty = 0 } },
        }, ct), ct);
        var id = created.GetProperty("id").GetInt64();
        await Expect(await admin.PostAsync(new Uri($"/api/agents/{id}/login", UriKind.Relative), null, ct), ct);
        return id;
    }

    /// <summary>Waits until GET /api/agents shows the agent in <paramref name="state"/> (available, on_call…).</summary>
    public static async Task WaitForAgentStateAsync(this RealAsteriskService service, long id, string state, CancellationToken ct)
    {
        using var admin = service.Admin();
        while (true)
        {
            var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", ct);
            if (agents.GetProperty("items").EnumerateArray().Single(a => a.GetProperty("id").GetInt64() == id).GetProperty("state").GetString() == state)
            {
                return;
            }
            await Task.Delay(50, ct);
        }
    }

    /// <summary>Waits until GET /api/queues/realtime shows <paramref name="waiting"/> callers waiting in the queue.</summary>
    public static async Task WaitForWaitingAsync(this RealAsteriskService service, string queue, int waiting, CancellationToken ct)
    {
        using var admin = service.Admin();
        while (true)
        {
            var realtime = await admin.GetFromJsonAsync<JsonElement>("/api/queues/realtime", ct);
            if (realtime.GetProperty("items").EnumerateArray().Any(q => q.GetProperty("code").GetString() == queue && q.GetProperty("waiting").GetInt32() == waiting))
            {
                return;
            }
            await Task.Delay(50, ct);
        }
    }

    /// <summary>
    /// Files a taxes request from <paramref name="phone"/> and resolves it, as an agent would over the API (with
    /// Surveys:OutboundCalls on, resolving places the survey call); returns its id and number.
    /// </summary>
    public static async Task<(long Id, string Number)> FileResolvedTicketAsync(this RealAsteriskService service, string phone, CancellationToken ct)
    {
        using var admin = service.Admin();
        long department;
        await using (var connection = await service.Database.DataSource.OpenConnectionAsync(ct))
        {
            department = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT id FROM departments WHERE code = 'taxes'", cancellationToken: ct));
        }
        var created = await Expect(await admin.PostAsJsonAsync("/api/tickets", new
        {
            kind = "request", channel = "phone", subject = "Property tax statement", departmentId = department, citizenPhone = phone,
        }, ct), ct);
        var id = created.GetProperty("id").GetInt64();
        await Expect(await admin.PostAsJsonAsync($"/api/tickets/{id}/resolve", new { resolution = "Statement sent by post" }, ct), ct);
        return (id, created.GetProperty("number").GetString()!);
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
