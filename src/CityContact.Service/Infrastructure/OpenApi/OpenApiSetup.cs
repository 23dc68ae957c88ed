using CityContact.Service.Features.Auth;
using Microsoft.OpenApi;

namespace CityContact.Service.Infrastructure.OpenApi;

/// <summary>The OpenAPI document and Swagger UI at /swagger, with the X-Api-Key scheme so that "Authorize" works.</summary>
public static class OpenApiSetup
{
    private const string SchemeId = "ApiKey";

    public static void AddOpenApiDocument(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo { Title = "CityContact", Version = "v1" });
            options.SchemaFilter<RoleSchemaFilter>();
            options.OperationFilter<SummaryOperationFilter>();
            options.AddSecurityDefinition(SchemeId, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthentication.HeaderName,
                Description = "An API key created over /api/keys (or the bootstrap admin key).",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(SchemeId, document)] = [],
            });
        });
    }

    public static void MapOpenApiDocument(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options => options.SwaggerEndpoint("/swagger/v1/swagger.json", "CityContact v1"));
    }
}
