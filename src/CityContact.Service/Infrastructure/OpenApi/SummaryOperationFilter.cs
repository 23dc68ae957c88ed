using System.Text.RegularExpressions;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CityContact.Service.Infrastructure.OpenApi;

/// <summary>
/// Every operation gets a summary in Swagger: the one its endpoint declares (WithSummary), else its handler's name in
/// words ("ListSchedulesAsync" in the Reports tag → "List schedules"), else the method and route.
/// </summary>
public sealed partial class SummaryOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (!string.IsNullOrWhiteSpace(operation.Summary))
        {
            return;
        }
        var name = context.MethodInfo?.Name ?? "";
        if (name.Length > 0 && !name.Contains('<', StringComparison.Ordinal))
        {
            var words = Words().Replace(name.EndsWith("Async", StringComparison.Ordinal) ? name[..^5] : name, " $1").Trim().ToLowerInvariant();
            operation.Summary = char.ToUpperInvariant(words[0]) + words[1..];
            return;
        }
        operation.Summary = $"{context.ApiDescription.HttpMethod} /{context.ApiDescription.RelativePath}";
    }

    [GeneratedRegex("(?<!^)([A-Z])")]
    private static partial Regex Words();
}
