using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Voicemail;

/// <summary>The lookups a voicemail message needs to become a ticket: the department behind a queue.</summary>
public sealed class VoicemailStore(NpgsqlDataSource dataSource)
{
    public async Task<long?> DepartmentOfQueueAsync(string queueCode, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT department_id FROM queues WHERE code = @queueCode", new { queueCode }, cancellationToken: ct));
    }
}
