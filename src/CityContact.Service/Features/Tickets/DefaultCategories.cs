using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Tickets;

/// <summary>
/// The requests a city hall usually takes, seeded on first start with the default flow (a new installation's Open311
/// services.json was []): each with the department that handles it and an SLA in business hours. The departments the
/// default flow does not create (roads, sanitation, parks, local police) are created here; nothing that exists is changed.
/// </summary>
public static class DefaultCategories
{
    public static readonly IReadOnlyList<(string Code, string Name)> Departments =
    [
        ("roads", "Roads and traffic"),
        ("sanitation", "Sanitation and waste"),
        ("parks", "Parks and green spaces"),
        ("public-order", "Local police"),
    ];

    public sealed record Seed(string Code, string Name, string Description, string Department, int SlaBusinessHours, string[] Keywords, string Group);

    public static readonly IReadOnlyList<Seed> Categories =
    [
        new("pothole", "Pothole or damaged road", "A hole, crack or subsidence in a street, road or pavement.", "roads", 40, ["pothole", "road", "pavement"], "Streets"),
        new("street-light", "Street light out", "A street lamp that is off, flickering or on during the day.", "roads", 24, ["light", "lamp", "lighting"], "Streets"),
        new("traffic-signal", "Traffic light or sign", "A traffic light out of order, or a road sign missing or damaged.", "roads", 8, ["traffic", "signal", "sign"], "Streets"),
        new("waste-collection", "Missed waste collection", "Household or recycling bins not emptied on the collection day.", "sanitation", 16, ["waste", "garbage", "bin"], "Cleanliness"),
        new("illegal-dumping", "Illegal dumping", "Rubbish, rubble or bulky items left on public land.", "sanitation", 40, ["dumping", "rubbish", "litter"], "Cleanliness"),
        new("graffiti", "Graffiti", "Graffiti or posters on public buildings, benches or walls.", "sanitation", 80, ["graffiti", "vandalism"], "Cleanliness"),
        new("tree-damage", "Fallen or dangerous tree", "A fallen tree or branch, or one that may fall.", "parks", 8, ["tree", "branch"], "Parks"),
        new("park-maintenance", "Park or playground repair", "Broken benches, playground equipment or fences in a park.", "parks", 80, ["park", "playground", "bench"], "Parks"),
        new("noise", "Noise complaint", "Persistent noise from a site, venue or neighbour.", "public-order", 24, ["noise", "music"], "Public order"),
        new("abandoned-vehicle", "Abandoned vehicle", "A vehicle left on a public street for a long time.", "public-order", 80, ["car", "vehicle"], "Public order"),
        new("tax-question", "Local tax question", "A question about property, vehicle or business taxes.", "taxes", 40, ["tax", "payment"], "City hall"),
        new("certificate-request", "Certificate or document request", "A request for a certificate, permit or copy of a document.", "documents", 80, ["certificate", "permit"], "City hall"),
        new("general-complaint", "Other complaint or request", "Anything not listed: it reaches the complaints department.", "complaints", 80, ["complaint", "other"], "City hall"),
    ];

    /// <summary>Inside the first-start seeder's transaction, after the default flow's departments exist.</summary>
    public static async Task SeedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO departments (code, name) VALUES (@Code, @Name) ON CONFLICT (code) DO NOTHING",
            Departments.Select(d => new { d.Code, d.Name }), transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO ticket_categories (code, name, description, department_id, sla_business_hours, keywords, group_name)
            SELECT @Code, @Name, @Description, id, @SlaBusinessHours, @Keywords, @Group FROM departments WHERE code = @Department
            ON CONFLICT (code) DO NOTHING
            """, Categories, transaction, cancellationToken: ct));
    }
}
