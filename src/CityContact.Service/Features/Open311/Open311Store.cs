using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Open311;

/// <summary>A ticket as Open311 shows it: what the public may see, with its service and the department responsible.</summary>
public sealed record ServiceRequestRow(
    string Number,
    string Status,
    string Channel,
    string? Resolution,
    string? Description,
    string ServiceCode,
    string ServiceName,
    string AgencyResponsible,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? DueAt,
    string? Address,
    double? Latitude,
    double? Longitude,
    string? MediaUrl);

/// <summary>The GET requests filters of GeoReport v2; <see cref="Numbers"/>, when given, overrides the others as the spec says.</summary>
public sealed record ServiceRequestFilter(
    IReadOnlyList<string>? Numbers, IReadOnlyList<string>? ServiceCodes, DateTime? Start, DateTime? End, bool? Open, int Limit);

/// <summary>
/// Only requests filed through Open311 are public: a ticket filed by phone, voicemail or an agent was never published
/// by its citizen, and its sequential number must not let anyone walk through the city's cases (nor read the agent's
/// resolution text as status_notes).
/// </summary>
public sealed class Open311Store(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<ServiceRequestRow>> ListAsync(ServiceRequestFilter filter, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ServiceRequestRow>(new CommandDefinition("""
            SELECT t.number, t.status, t.channel, t.resolution, t.description, c.code AS service_code, c.name AS service_name,
                   d.name AS agency_responsible, t.created_at, t.updated_at, t.due_at, t.address, t.latitude, t.longitude, t.media_url
            FROM tickets t
            JOIN ticket_categories c ON c.id = t.category_id
            JOIN departments d ON d.id = c.department_id
            WHERE t.channel = 'open311'
              AND CASE WHEN @numbers::text[] IS NOT NULL THEN t.number = ANY(@numbers)
                       ELSE (@codes::text[] IS NULL OR c.code = ANY(@codes))
                        AND (@start::timestamptz IS NULL OR t.created_at >= @start)
                        AND (@end::timestamptz IS NULL OR t.created_at <= @end)
                        AND (@open::boolean IS NULL OR @open = (t.status IN ('new', 'assigned', 'in_progress')))
                  END
            ORDER BY t.created_at DESC, t.id DESC
            LIMIT @limit
            """, new
        {
            numbers = filter.Numbers?.ToArray(),
            codes = filter.ServiceCodes?.ToArray(),
            start = filter.Start,
            end = filter.End,
            open = filter.Open,
            limit = filter.Limit,
        }, cancellationToken: ct));
        return [.. rows];
    }
}
