using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using CityContact.Service.Features.Auth;
using CityContact.Service.Features.Tickets;
using CityContact.Service.Infrastructure.Configuration;

namespace CityContact.Service.Features.Open311;

/// <summary>
/// Open311 GeoReport v2 over the tickets: services are the active ticket categories, service requests are the
/// tickets filed under a category (service_request_id = the ticket number). JSON and XML as the spec names them;
/// errors are its array of {code, description}. Filing needs an API key in the api_key form field; reading is public
/// and shows no personal data (a description only for requests filed through Open311 itself).
/// </summary>
public static class Open311Endpoints
{
    private const int MaxRequests = 1000;
    private static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(90);
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void MapOpen311(this IEndpointRouteBuilder endpoints)
    {
        var open311 = endpoints.MapGroup("/open311/v2").WithTags("Open311").AllowAnonymous();
        open311.MapGet("/services.{format}", ServicesAsync);
        open311.MapGet("/services/{code}.{format}", ServiceDefinitionAsync);
        open311.MapPost("/requests.{format}", PostRequestAsync).DisableAntiforgery();
        open311.MapGet("/requests.{format}", RequestsAsync);
        open311.MapGet("/requests/{id}.{format}", RequestAsync);
    }

    private static async Task<IResult> ServicesAsync(string format, CategoryStore categories, CancellationToken ct)
    {
        if (FormatError(format) is { } error)
        {
            return error;
        }
        var services = await categories.AllAsync(activeOnly: true, ct);
        return List(format, "services", "service", services.Select(c => new Dictionary<string, object?>
        {
            ["service_code"] = c.Code,
            ["service_name"] = c.Name,
            ["description"] = c.Description,
            ["metadata"] = false,
            ["type"] = "realtime",
            ["keywords"] = string.Join(",", c.Keywords),
            ["group"] = c.GroupName,
        }));
    }

    /// <summary>Our services have no extra attributes (metadata false): the definition lists none.</summary>
    private static async Task<IResult> ServiceDefinitionAsync(string code, string format, CategoryStore categories, CancellationToken ct)
    {
        if (FormatError(format) is { } error)
        {
            return error;
        }
        if (await categories.FindByCodeAsync(code, ct) is not { Active: true } category)
        {
            return Error(format, StatusCodes.Status404NotFound, $"service_code {code} not found");
        }
        if (format == "json")
        {
            return Results.Text(JsonSerializer.Serialize(new Dictionary<string, object?> { ["service_code"] = category.Code, ["attributes"] = Array.Empty<object>() }, Json),
                "application/json; charset=utf-8", Encoding.UTF8);
        }
        return Xml(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartElement("service_definition");
            writer.WriteElementString("service_code", category.Code);
            writer.WriteStartElement("attributes");
            writer.WriteEndElement();
            writer.WriteEndElement();
        });
    }

    private static async Task<IResult> PostRequestAsync(
        string format, HttpContext http, ApiKeyStore keys, FailedKeyLimiter failedKeys, CategoryStore categories, TicketService tickets,
        ILoggerFactory loggers, CancellationToken ct)
    {
        if (FormatError(format) is { } formatError)
        {
            return formatError;
        }
        if (!http.Request.HasFormContentType)
        {
            return Error(format, StatusCodes.Status400BadRequest, "the request must be form-encoded (application/x-www-form-urlencoded or multipart/form-data)");
        }
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (InvalidDataException)
        {
            // A NUL character, an over-long value or too many fields: the form reader refuses it.
            return Error(format, StatusCodes.Status400BadRequest, "the form is malformed (a control character, or a value or the form too large)");
        }
        string? Field(string name) => form[name].ToString() is { Length: > 0 } value ? value.Trim() : null;

        if (failedKeys.IsBlocked(http))
        {
            return Error(format, StatusCodes.Status429TooManyRequests, "too many invalid api_key values from this address; try again in a minute");
        }
        if (Field("api_key") is not { } presented || await keys.FindActiveAsync(presented, ct) is not { } key)
        {
            failedKeys.RecordFailure(http);
            loggers.CreateLogger(typeof(Open311Endpoints)).LogWarning("Open311 request refused: missing, unknown or revoked api_key from {RemoteAddress}",
                FailedKeyLimiter.AddressOf(http));
            return Error(format, StatusCodes.Status403Forbidden, "api_key is missing or not valid");
        }
        if (Field("service_code") is not { } code)
        {
            return Error(format, StatusCodes.Status400BadRequest, "service_code is required");
        }
        if (await categories.FindByCodeAsync(code, ct) is not { Active: true } category)
        {
            return Error(format, StatusCodes.Status404NotFound, $"service_code {code} not found");
        }
        var problems = new List<string>();
        double? latitude = Coordinate(Field("lat"), 90, "lat", problems);
        double? longitude = Coordinate(Field("long"), 180, "long", problems);
        var address = Field("address_string") ?? Field("address_id");
        if ((latitude is null || longitude is null) && address is null)
        {
            problems.Add("a location is required: lat and long, or address_string, or address_id");
        }
        var phone = Field("phone");
        if (phone is not null && tickets.NormalisePhone(phone) is null)
        {
            problems.Add("phone is not a phone number");
        }
        var email = Field("email");
        if (email is not null && !(System.Net.Mail.MailAddress.TryCreate(email, out var parsed) && parsed.Address == email))
        {
            problems.Add("email is not an email address");
        }
        var description = Field("description");
        if (description?.Length > 4000)
        {
            problems.Add("description is at most 4000 characters");
        }
        var mediaUrl = Field("media_url");
        if (mediaUrl is not null && !(Uri.TryCreate(mediaUrl, UriKind.Absolute, out var media) && media.Scheme is "http" or "https"))
        {
            problems.Add("media_url must be an absolute http(s) URL");
        }
        if (address?.Length > 500)
        {
            problems.Add("address_string is at most 500 characters");
        }
        if (problems.Count > 0)
        {
            return Errors(format, StatusCodes.Status400BadRequest, problems);
        }
        var name = string.Join(' ', new[] { Field("first_name"), Field("last_name") }.Where(n => n is not null));
        var ticket = await tickets.CreateAsync(new TicketDraft(
            TicketKinds.Request, TicketChannels.Open311, category.Name, description,
            CategoryId: category.Id, CitizenName: name.Length == 0 ? null : name[..Math.Min(name.Length, 200)],
            CitizenPhone: phone, CitizenEmail: email, Latitude: latitude, Longitude: longitude, Address: address, MediaUrl: mediaUrl),
            new TicketActor(key.Prefix, key.Id), ct);
        return List(format, "service_requests", "request", [new Dictionary<string, object?>
        {
            ["service_request_id"] = ticket.Number,
            ["service_notice"] = ticket.DueAt is null ? null : $"Expected by {ticket.DueAt:yyyy-MM-dd}",
            ["account_id"] = Field("account_id"),
        }]);
    }

    private static async Task<IResult> RequestsAsync(string format, HttpContext http, Open311Store store, TimeProvider time, IOptions<CityOptions> city, CancellationToken ct)
    {
        if (FormatError(format) is { } formatError)
        {
            return formatError;
        }
        var query = http.Request.Query;
        var problems = new List<string>();
        var numbers = ListOf(query["service_request_id"].ToString());
        var codes = ListOf(query["service_code"].ToString());
        var start = Date(query["start_date"].ToString(), "start_date", problems);
        var end = Date(query["end_date"].ToString(), "end_date", problems);
        bool? open = null;
        var statuses = ListOf(query["status"].ToString());
        if (statuses is not null)
        {
            if (statuses.Any(s => s is not ("open" or "closed")))
            {
                problems.Add("status must be open, closed or both (comma-separated)");
            }
            else if (statuses.Distinct().Count() == 1)
            {
                open = statuses[0] == "open";
            }
        }
        if (start is not null && end is not null && end < start)
        {
            problems.Add("end_date must not be before start_date");
        }
        if (problems.Count > 0)
        {
            return Errors(format, StatusCodes.Status400BadRequest, problems);
        }
        if (start is null && end is null)
        {
            start = time.GetUtcNow().UtcDateTime - DefaultWindow;
        }
        var rows = await store.ListAsync(new ServiceRequestFilter(numbers, codes, start, end, open, MaxRequests), ct);
        return List(format, "service_requests", "request", rows.Select(r => RequestFields(r, city.Value.TimeZone)));
    }

    private static async Task<IResult> RequestAsync(string id, string format, Open311Store store, IOptions<CityOptions> city, CancellationToken ct)
    {
        if (FormatError(format) is { } formatError)
        {
            return formatError;
        }
        var rows = await store.ListAsync(new ServiceRequestFilter([id], null, null, null, null, 1), ct);
        return rows.Count == 0
            ? Error(format, StatusCodes.Status404NotFound, $"service_request_id {id} not found")
            : List(format, "service_requests", "request", rows.Select(r => RequestFields(r, city.Value.TimeZone)));
    }

    private static Dictionary<string, object?> RequestFields(ServiceRequestRow r, string timeZone)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var open = TicketStatuses.Open.Contains(r.Status);
        return new()
        {
            ["service_request_id"] = r.Number,
            ["status"] = open ? "open" : "closed",
            // The store only returns requests filed through Open311; the resolution answers the citizen who filed it.
            ["status_notes"] = open ? null : r.Resolution ?? StatusNote(r.Status),
            ["service_name"] = r.ServiceName,
            ["service_code"] = r.ServiceCode,
            // Text written by agents may hold what a caller said about themselves; only the citizen's own words are public.
            ["description"] = r.Channel == TicketChannels.Open311 ? r.Description : null,
            ["agency_responsible"] = r.AgencyResponsible,
            ["service_notice"] = null,
            ["requested_datetime"] = Iso(r.CreatedAt, zone),
            ["updated_datetime"] = Iso(r.UpdatedAt, zone),
            ["expected_datetime"] = r.DueAt is { } due ? Iso(due, zone) : null,
            ["address"] = r.Address,
            ["address_id"] = null,
            ["zipcode"] = null,
            ["lat"] = r.Latitude,
            ["long"] = r.Longitude,
            ["media_url"] = r.MediaUrl,
        };
    }

    private static string StatusNote(string status) => status switch
    {
        TicketStatuses.Rejected => "Rejected",
        TicketStatuses.Duplicate => "Duplicate of an earlier request",
        _ => "Closed",
    };

    private static string Iso(DateTime utc, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)), zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static double? Coordinate(string? value, double limit, string field, List<string> problems)
    {
        if (value is null)
        {
            return null;
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && Math.Abs(number) <= limit)
        {
            return number;
        }
        problems.Add($"{field} must be a decimal number between -{limit} and {limit}");
        return null;
    }

    private static DateTime? Date(string value, string field, List<string> problems)
    {
        if (value.Length == 0)
        {
            return null;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            return date.UtcDateTime;
        }
        problems.Add($"{field} must be an ISO 8601 date-time such as 2026-03-30T08:00:00Z");
        return null;
    }

    private static string[]? ListOf(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is { Length: > 0 } items ? items : null;

    private static IResult? FormatError(string format) =>
        format is "json" or "xml" ? null : Error("json", StatusCodes.Status404NotFound, $"format {format} is not served: use .json or .xml");

    private static IResult Error(string format, int status, string description) => Errors(format, status, [description]);

    /// <summary>The spec's error body: [{ "code": 400, "description": "…" }] or &lt;errors&gt;&lt;error&gt;…</summary>
    private static IResult Errors(string format, int status, IReadOnlyList<string> descriptions) =>
        List(format, "errors", "error", descriptions.Select(d => new Dictionary<string, object?> { ["code"] = status, ["description"] = d }), status);

    private static IResult List(string format, string root, string item, IEnumerable<Dictionary<string, object?>> items, int status = StatusCodes.Status200OK)
    {
        if (format == "json")
        {
            return Results.Text(JsonSerializer.Serialize(items, Json), "application/json; charset=utf-8", Encoding.UTF8, status);
        }
        return Xml(status, writer =>
        {
            writer.WriteStartElement(root);
            foreach (var fields in items)
            {
                writer.WriteStartElement(item);
                foreach (var (name, value) in fields)
                {
                    writer.WriteElementString(name, value switch
                    {
                        null => "",
                        bool b => b ? "true" : "false",
                        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                        _ => value.ToString(),
                    });
                }
                writer.WriteEndElement();
            }
            writer.WriteEndElement();
        });
    }

    private static IResult Xml(int status, Action<XmlWriter> write)
    {
        var text = new StringBuilder();
        using (var writer = XmlWriter.Create(new Utf8StringWriter(text), new XmlWriterSettings { Encoding = Encoding.UTF8, Indent = false }))
        {
            writer.WriteStartDocument();
            write(writer);
            writer.WriteEndDocument();
        }
        return Results.Text(text.ToString(), "text/xml; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>A StringWriter whose XML declaration says UTF-8, as the spec requires.</summary>
    private sealed class Utf8StringWriter(StringBuilder builder) : StringWriter(builder, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}
