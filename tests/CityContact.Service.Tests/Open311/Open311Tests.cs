using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using CityContact.Service.Tests.Tickets;

namespace CityContact.Service.Tests.Open311;

public sealed class Open311Tests(TicketServiceFixture service) : IClassFixture<TicketServiceFixture>
{
    private static string Unique(string stem) => $"{stem}-{Guid.NewGuid():N}"[..24];

    private async Task<(string Code, long DepartmentId)> ServiceAsync(bool active = true)
    {
        var department = await service.NewDepartmentAsync(Unique("o311"));
        var code = Unique("pothole");
        await service.NewCategoryAsync(code, department, slaBusinessHours: 16, active: active);
        return (code, department);
    }

    private static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Name, f.Value)));

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var errors = await response.Content.ReadFromJsonAsync<JsonElement>();
        var error = Assert.Single(errors.EnumerateArray());
        Assert.Equal((int)status, error.GetProperty("code").GetInt32());
        return error;
    }

    private async Task<string> FileAsync(string apiKey, string code, string description = "Deep pothole in front of no. 12")
    {
        var response = await service.Client(null).PostAsync("/open311/v2/requests.json", Form(
            ("api_key", apiKey), ("service_code", code), ("lat", "44.4268"), ("long", "26.1025"), ("address_string", "Str. Lunga 12"),
            ("description", description), ("email", "maria@example.org"), ("first_name", "Maria"), ("last_name", "Ionescu"),
            ("phone", "0722 555 111"), ("media_url", "https://example.org/p.jpg"), ("account_id", "app-77")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var created = Assert.Single((await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
        Assert.Equal("app-77", created.GetProperty("account_id").GetString());
        return created.GetProperty("service_request_id").GetString()!;
    }

    [Fact]
    public async Task Services_are_the_active_categories_in_json_and_xml()
    {
        service.Clock.Now = DateTimeOffset.UtcNow;
        var (code, _) = await ServiceAsync();
        var (hidden, _) = await ServiceAsync(active: false);
        var client = service.Client(null);

        var json = await client.GetFromJsonAsync<JsonElement>("/open311/v2/services.json");
        var listed = Assert.Single(json.EnumerateArray(), s => s.GetProperty("service_code").GetString() == code);
        Assert.Equal($"Category {code}", listed.GetProperty("service_name").GetString());
        Assert.Equal($"Reports of {code}", listed.GetProperty("description").GetString());
        Assert.False(listed.GetProperty("metadata").GetBoolean());
        Assert.Equal("realtime", listed.GetProperty("type").GetString());
        Assert.Equal($"{code},street", listed.GetProperty("keywords").GetString());
        Assert.Equal("Streets", listed.GetProperty("group").GetString());
        Assert.DoesNotContain(json.EnumerateArray(), s => s.GetProperty("service_code").GetString() == hidden);

        var response = await client.GetAsync("/open311/v2/services.xml");
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", text, StringComparison.OrdinalIgnoreCase);
        var xml = XDocument.Parse(text);
        Assert.Equal("services", xml.Root!.Name.LocalName);
        var node = Assert.Single(xml.Root.Elements("service"), s => s.Element("service_code")!.Value == code);
        Assert.Equal(("false", "realtime", "Streets"), (node.Element("metadata")!.Value, node.Element("type")!.Value, node.Element("group")!.Value));

        var definition = await client.GetFromJsonAsync<JsonElement>($"/open311/v2/services/{code}.json");
        Assert.Equal(code, definition.GetProperty("service_code").GetString());
        Assert.Empty(definition.GetProperty("attributes").EnumerateArray());
        var definitionXml = XDocument.Parse(await client.GetStringAsync($"/open311/v2/services/{code}.xml"));
        Assert.Equal(("service_definition", code), (definitionXml.Root!.Name.LocalName, definitionXml.Root.Element("service_code")!.Value));
        var unknown = await ErrorAsync(await client.GetAsync($"/open311/v2/services/{hidden}.json"), HttpStatusCode.NotFound);
        Assert.Contains(hidden, unknown.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_filed_by_form_is_a_ticket_that_can_be_read_and_listed_with_the_spec_filters()
    {
        service.Clock.Now = DateTimeOffset.UtcNow;
        var (code, department) = await ServiceAsync();
        var (_, prefix, key) = await service.NewKeyAsync("agent");
        var client = service.Client(null);

        var id = await FileAsync(key, code);
        Assert.Matches(@"^TM-\d{4}-\d{6}$", id);

        var one = Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/open311/v2/requests/{id}.json")).EnumerateArray());
        Assert.Equal(id, one.GetProperty("service_request_id").GetString());
        Assert.Equal(("open", code), (one.GetProperty("status").GetString(), one.GetProperty("service_code").GetString()));
        Assert.Equal("Deep pothole in front of no. 12", one.GetProperty("description").GetString());
        Assert.Equal($"Department {await DepartmentCodeAsync(department)}", one.GetProperty("agency_responsible").GetString());
        Assert.Equal((44.4268, 26.1025), (one.GetProperty("lat").GetDouble(), one.GetProperty("long").GetDouble()));
        Assert.Equal(("Str. Lunga 12", "https://example.org/p.jpg"), (one.GetProperty("address").GetString(), one.GetProperty("media_url").GetString()));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", one.GetProperty("requested_datetime").GetString());
        Assert.Equal(JsonValueKind.String, one.GetProperty("expected_datetime").ValueKind);
        // Personal data stays in the ticket, out of the public API.
        Assert.DoesNotContain("maria", one.GetRawText(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("0722", one.GetRawText(), StringComparison.Ordinal);

        // The ticket behind it: channel open311, the citizen's contact, the key as the actor of its history.
        var found = await service.Admin.GetFromJsonAsync<JsonElement>($"/api/tickets?department={Uri.EscapeDataString((await DepartmentCodeAsync(department))!)}");
        var ticketId = Assert.Single(found.GetProperty("items").EnumerateArray()).GetProperty("id").GetInt64();
        var ticket = await service.Admin.GetFromJsonAsync<JsonElement>($"/api/tickets/{ticketId}");
        Assert.Equal(("open311", "Maria Ionescu", "+40722555111"),
            (ticket.GetProperty("channel").GetString(), ticket.GetProperty("citizenName").GetString(), ticket.GetProperty("citizenPhone").GetString()));
        var history = await service.Admin.GetFromJsonAsync<JsonElement>($"/api/tickets/{ticketId}/history");
        Assert.Equal(prefix, history.GetProperty("items")[0].GetProperty("actor").GetString());

        var second = await FileAsync(key, code, "Another one");
        await service.Admin.PostAsJsonAsync($"/api/tickets/{ticketId}/resolve", new { resolution = "Patched with asphalt" });

        async Task<string[]> IdsAsync(string query) =>
            [.. (await client.GetFromJsonAsync<JsonElement>($"/open311/v2/requests.json?{query}")).EnumerateArray().Select(r => r.GetProperty("service_request_id").GetString()!)];

        Assert.Equal([second, id], await IdsAsync($"service_code={code}"));
        Assert.Equal([second], await IdsAsync($"service_code={code}&status=open"));
        Assert.Equal([id], await IdsAsync($"service_code={code}&status=closed"));
        Assert.Equal([second, id], await IdsAsync($"service_request_id={id},{second}&status=open"));
        var now = DateTimeOffset.UtcNow;
        Assert.Empty(await IdsAsync($"service_code={code}&end_date={Uri.EscapeDataString(now.AddDays(-1).ToString("O"))}"));
        Assert.Equal([second, id], await IdsAsync($"service_code={code}&start_date={Uri.EscapeDataString(now.AddHours(-1).ToString("O"))}"));

        var closed = Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/open311/v2/requests/{id}.json")).EnumerateArray());
        Assert.Equal(("closed", "Patched with asphalt"), (closed.GetProperty("status").GetString(), closed.GetProperty("status_notes").GetString()));

        var xml = XDocument.Parse(await client.GetStringAsync($"/open311/v2/requests.xml?service_code={code}"));
        Assert.Equal("service_requests", xml.Root!.Name.LocalName);
        Assert.Equal([second, id], xml.Root.Elements("request").Select(r => r.Element("service_request_id")!.Value));
        Assert.Equal("26.1025", xml.Root.Elements("request").Last().Element("long")!.Value);
    }

    [Fact]
    public async Task Filing_errors_use_the_spec_error_format_and_status_codes()
    {
        var (code, _) = await ServiceAsync();
        var (_, _, key) = await service.NewKeyAsync("agent");
        var client = service.Client(null);

        var badKey = await ErrorAsync(await client.PostAsync("/open311/v2/requests.json",
            Form(("api_key", "cck_00000000_wrongwrongwrongwrongwrongwrongwrong"), ("service_code", code), ("lat", "44"), ("long", "26"))), HttpStatusCode.Forbidden);
        Assert.Contains("api_key", badKey.GetProperty("description").GetString(), StringComparison.Ordinal);
        await ErrorAsync(await client.PostAsync("/open311/v2/requests.json", Form(("service_code", code), ("lat", "44"), ("long", "26"))), HttpStatusCode.Forbidden);

        var noService = await ErrorAsync(await client.PostAsync("/open311/v2/requests.json", Form(("api_key", key), ("lat", "44"), ("long", "26"))), HttpStatusCode.BadRequest);
        Assert.Contains("service_code", noService.GetProperty("description").GetString(), StringComparison.Ordinal);
        var unknown = await ErrorAsync(await client.PostAsync("/open311/v2/requests.json",
            Form(("api_key", key), ("service_code", "no-such-service"), ("lat", "44"), ("long", "26"))), HttpStatusCode.NotFound);
        Assert.Contains("no-such-service", unknown.GetProperty("description").GetString(), StringComparison.Ordinal);
        var noLocation = await ErrorAsync(await client.PostAsync("/open311/v2/requests.json",
            Form(("api_key", key), ("service_code", code), ("description", "somewhere"))), HttpStatusCode.BadRequest);
        Assert.Contains("location", noLocation.GetProperty("description").GetString(), StringComparison.Ordinal);
        await ErrorAsync(await client.PostAsJsonAsync("/open311/v2/requests.json", new { api_key = key, service_code = code }), HttpStatusCode.BadRequest);
        await ErrorAsync(await client.GetAsync("/open311/v2/requests/TM-1999-999999.json"), HttpStatusCode.NotFound);
        await ErrorAsync(await client.GetAsync("/open311/v2/requests.json?status=pending"), HttpStatusCode.BadRequest);

        var xmlError = await client.PostAsync("/open311/v2/requests.xml", Form(("api_key", key), ("service_code", "no-such-service"), ("lat", "44"), ("long", "26")));
        Assert.Equal(HttpStatusCode.NotFound, xmlError.StatusCode);
        var errors = XDocument.Parse(await xmlError.Content.ReadAsStringAsync()).Root!;
        Assert.Equal(("errors", "404"), (errors.Name.LocalName, errors.Element("error")!.Element("code")!.Value));

        // Nothing was filed by the refused requests.
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>($"/open311/v2/requests.json?service_code={code}")).EnumerateArray());
    }

    private async Task<string?> DepartmentCodeAsync(long id) =>
        await service.ScalarAsync<string>("SELECT code FROM departments WHERE id = @id", ("id", id));
}
