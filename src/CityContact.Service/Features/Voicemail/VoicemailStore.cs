using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Voicemail;

/// <summary>The lookups a voicemail message needs to become a ticket: the department behind a queue and the call's row.</summary>
public sealed class VoicemailStore(NpgsqlDataSource dataSource)
{
    public async Task<long?> DepartmentOfQueueAsync(string queueCode, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT department_id FROM queues WHERE code = @queueCode", new { queueCode }, cancellationToken: ct));
    }

    public async Task<long?> CallIdOfChannelAsync(string channelId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM calls WHERE channel_id = @channelId", new { channelId }, cancellationToken: ct));
    }
}
