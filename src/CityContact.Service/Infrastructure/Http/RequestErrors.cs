using System.Text.Json;
using System.Text.RegularExpressions;

namespace CityContact.Service.Infrastructure.Http;

/// <summary>
/// Turns the framework's binding failures into answers a client can act on: the JSON path or parameter that is wrong
/// and why, without the framework's wording ("Implicit body inferred for parameter…") or .NET type names.
/// </summary>
public static partial class RequestErrors
{
    public static (int Status, string Title, string Field, string Message) Describe(BadHttpRequestException exception, HttpRequest request)
    {
        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return (StatusCodes.Status415UnsupportedMediaType, "The request body must be JSON", "$",
                $"Content-Type must be application/json (got {(string.IsNullOrEmpty(request.ContentType) ? "none" : "another type")})");
        }
        if (exception.InnerException is JsonException json)
        {
            var field = FieldOf(json);
            var message = json.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)
                ? "unknown field: this resource has no such property"
                : json.Message.StartsWith("The JSON value could not be converted to", StringComparison.Ordinal)
                    ? $"wrong type: expected {ExpectedOf(json, field)}"
                    : "malformed JSON";
            return (StatusCodes.Status400BadRequest, "The request body is not valid JSON for this resource", field, message);
        }
        if (exception.Message.Contains("no body was provided", StringComparison.Ordinal)
            || exception.Message.Contains("body was empty", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status400BadRequest, "A request body is required", "$", "a JSON object body is required");
        }
        // "Failed to bind parameter \"int? limit\" from \"abc\"." or "Required parameter \"string kind\" was not provided…"
        if (ParameterName().Match(exception.Message) is { Success: true } parameter)
        {
            var name = parameter.Groups["name"].Value;
            return (StatusCodes.Status400BadRequest, "The request is malformed", name,
                exception.Message.StartsWith("Required", StringComparison.Ordinal) ? $"{name} is required" : $"{name} has a value of the wrong type or format");
        }
        return (exception.StatusCode, "The request is malformed", "$", "the request could not be read");
    }

    /// <summary>"$.skills[0].penalty" → "skills[0].penalty"; an unknown member's path also names the member itself.</summary>
    private static string FieldOf(JsonException json)
    {
        var path = string.IsNullOrEmpty(json.Path) ? "$" : json.Path;
        if (UnmappedName().Match(json.Message) is { Success: true } unmapped)
        {
            var member = unmapped.Groups["name"].Value;
            path = path.EndsWith("." + member, StringComparison.Ordinal) || path.EndsWith($"['{member}']", StringComparison.Ordinal)
                ? path
                : (path == "$" ? "$." : path + ".") + member;
        }
        return path == "$" ? "$" : path.TrimStart('$', '.');
    }

    /// <summary>
    /// What the value should have been, in JSON's words: the reader's own complaint ("Cannot get the value of a token
    /// type 'String' as a number.") when there is one, else the target type (which may be a .NET name: never shown).
    /// </summary>
    private static string ExpectedOf(JsonException json, string field)
    {
        var inner = json.InnerException?.Message ?? "";
        if (inner.Contains("as a number", StringComparison.Ordinal))
        {
            return "a number";
        }
        if (inner.Contains("as a string", StringComparison.Ordinal))
        {
            return "a string";
        }
        if (inner.Contains("as a boolean", StringComparison.Ordinal))
        {
            return "true or false";
        }
        var type = json.Message["The JSON value could not be converted to ".Length..].Split(". Path", 2)[0];
        return type switch
        {
            _ when field == "$" => "a JSON object",
            _ when type.Contains("Int", StringComparison.Ordinal) => "an integer",
            _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
            _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
            _ when type.Contains("DateOnly", StringComparison.Ordinal) => "a date (yyyy-mm-dd)",
            _ when type.Contains("Date", StringComparison.Ordinal) => "a date and time (ISO 8601 with offset)",
            _ when type.Contains("TimeOnly", StringComparison.Ordinal) => "a time (hh:mm)",
            _ when type.Contains("[]", StringComparison.Ordinal) || type.Contains("List", StringComparison.Ordinal) => "an array",
            _ when type.Contains("String", StringComparison.Ordinal) => "a string",
            _ => "a value of another type",
        };
    }

    [GeneratedRegex("The JSON property '(?<name>[^']*)' could not be mapped")]
    private static partial Regex UnmappedName();

    [GeneratedRegex("parameter \"(?:[^\" ]+ )?(?<name>[A-Za-z0-9_]+)\"")]
    private static partial Regex ParameterName();
}
