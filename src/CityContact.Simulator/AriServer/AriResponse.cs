using System.Text.Json;
using CityContact.Telephony.Ari.Models;

namespace CityContact.Simulator.AriServer;

/// <summary>What the ARI server answers: status, Asterisk's reason phrase, and a JSON (or binary) body.</summary>
internal sealed record AriResponse(int Status, string Reason, string? Json = null)
{
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
    public string? FilePath { get; init; }
    public string? ContentType { get; init; }

    public static AriResponse NoContent { get; } = new(204, "No Content");

    public static AriResponse Ok<T>(T body) => new(200, "OK", JsonSerializer.Serialize(body, typeof(T), AriJsonContext.Default));

    public static AriResponse Created<T>(T body, string location) => new(201, "Created", JsonSerializer.Serialize(body, typeof(T), AriJsonContext.Default))
    {
        Headers = new Dictionary<string, string> { ["Location"] = location },
    };

    /// <summary>An error with Asterisk's <c>{"message":...}</c> body.</summary>
    public static AriResponse Error(int status, string reason, string message)
        => new(status, reason, JsonSerializer.Serialize(new Dictionary<string, string> { ["message"] = message }));

    public static AriResponse NotFound(string message) => Error(404, "Not Found", message);

    public static AriResponse BadRequest(string message) => Error(400, "Bad Request", message);

    public static AriResponse Conflict(string message) => Error(409, "Conflict", message);

    public static AriResponse Unprocessable(string message) => Error(422, "Unprocessable Entity", message);

    public static AriResponse InternalError(string message) => Error(500, "Internal Server Error", message);

    public static AriResponse ChannelNotFound { get; } = NotFound("Channel not found");

    public static AriResponse NotInStasis { get; } = Conflict("Channel not in Stasis application");
}
