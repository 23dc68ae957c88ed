using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Ivr;

public sealed record Flow(long Id, string Code, string Name);

/// <summary>One version of a flow's definition (JSON). Once published it never changes (the database refuses).</summary>
public sealed record FlowVersion(long Id, long FlowId, int Version, string Definition, DateTime CreatedAt, string CreatedBy, DateTime? PublishedAt, string? PublishedBy);

public sealed class FlowStore(NpgsqlDataSource dataSource)
{
    private const string VersionColumns = "id, flow_id, version, definition::text AS definition, created_at, created_by, published_at, published_by";

    public async Task<Flow> CreateAsync(string code, string name, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<Flow>(new CommandDefinition(
            "INSERT INTO ivr_flows (code, name) VALUES (@code, @name) RETURNING id, code, name",
            new { code, name }, cancellationToken: ct));
    }

    public async Task<Flow?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Flow>(new CommandDefinition(
            "SELECT id, code, name FROM ivr_flows WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<Flow>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<Flow>(new CommandDefinition("SELECT id, code, name FROM ivr_flows ORDER BY code", cancellationToken: ct))];
    }

    /// <summary>Adds the next draft version; the flow row is locked so that concurrent drafts get distinct numbers.</summary>
    public async Task<FlowVersion> AddDraftAsync(long flowId, string definitionJson, string author, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SELECT 1 FROM ivr_flows WHERE id = @flowId FOR UPDATE", new { flowId }, transaction, cancellationToken: ct));
        var version = await connection.QuerySingleAsync<FlowVersion>(new CommandDefinition($"""
            INSERT INTO ivr_flow_versions (flow_id, version, definition, created_by)
            SELECT @flowId, coalesce(max(version), 0) + 1, @definitionJson::jsonb, @author FROM ivr_flow_versions WHERE flow_id = @flowId
            RETURNING {VersionColumns}
            """, new { flowId, definitionJson, author }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return version;
    }

    /// <summary>Publishes a draft; null when the version does not exist or is already published.</summary>
    public async Task<FlowVersion?> PublishAsync(long versionId, string publisher, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<FlowVersion>(new CommandDefinition($"""
            UPDATE ivr_flow_versions SET published_at = now(), published_by = @publisher
            WHERE id = @versionId AND published_at IS NULL
            RETURNING {VersionColumns}
            """, new { versionId, publisher }, cancellationToken: ct));
    }

    /// <summary>The version calls run: the highest published one.</summary>
    public async Task<FlowVersion?> CurrentPublishedAsync(long flowId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<FlowVersion>(new CommandDefinition($"""
            SELECT {VersionColumns} FROM ivr_flow_versions
            WHERE flow_id = @flowId AND published_at IS NOT NULL ORDER BY version DESC LIMIT 1
            """, new { flowId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<FlowVersion>> VersionsAsync(long flowId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<FlowVersion>(new CommandDefinition(
            $"SELECT {VersionColumns} FROM ivr_flow_versions WHERE flow_id = @flowId ORDER BY version", new { flowId }, cancellationToken: ct))];
    }
}
