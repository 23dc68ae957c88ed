using System.Text.Json.Nodes;
using CityContact.Service.Features.Auth;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace CityContact.Service.Infrastructure.OpenApi;

/// <summary>A key's <c>role</c> is one of four words; the document says which instead of "a string".</summary>
public sealed class RoleSchemaFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (context.Type == typeof(CreateKeyRequest) && schema.Properties?.TryGetValue("role", out var role) == true && role is OpenApiSchema editable)
        {
            editable.Enum = [.. Roles.All.Select(r => (JsonNode)JsonValue.Create(r))];
            editable.Description = "What the key may do: admin (everything), supervisor, agent or reporter.";
        }
    }
}
