namespace CityContact.Service.Features.Auth;

public static class Roles
{
    public const string Admin = "admin";
    public const string Supervisor = "supervisor";
    public const string Agent = "agent";
    public const string Reporter = "reporter";

    public static IReadOnlyList<string> All { get; } = [Admin, Supervisor, Agent, Reporter];

    /// <summary>Requires a key or a signed-in person with one of <paramref name="roles"/>; admin may always. Documents the 401/403 answers.</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params string[] roles)
        where TBuilder : IEndpointConventionBuilder =>
        builder
            .RequireAuthorization(policy => policy
                .AddAuthenticationSchemes(AuthSetup.SchemeName)
                .RequireRole([.. roles, Admin]))
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
}
