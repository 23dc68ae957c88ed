using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Ivr;

public sealed record Flow(long Id, string Code, string Name);

/// <summary>One version of a flow's definition (JSON). Once published it never changes (the database refuses).</summary>
public sealed record FlowVersion(long Id, long FlowId, int Version, string Definition, DateTime CreatedAt, string CreatedBy, DateTime? PublishedAt, string? PublishedBy);

/// <summary>A dialed number and the flow version it answers with.</summary>
public sealed record LiveFlow(string Number, long FlowId, string FlowCode, long VersionId, int Version, string Definition);

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

    /// <summary>
    /// Freezes a draft and makes it the live version in one transaction, so calls switch to it all at once;
    /// null when the version does not exist or is already published.
    /// </summary>
    public async Task<FlowVersion?> PublishAsync(long versionId, string publisher, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var published = await connection.QuerySingleOrDefaultAsync<FlowVersion>(new CommandDefinition($"""
            UPDATE ivr_flow_versions SET published_at = now(), published_by = @publisher
            WHERE id = @versionId AND published_at IS NULL
            RETURNING {VersionColumns}
            """, new { versionId, publisher }, transaction, cancellationToken: ct));
        if (published is null)
        {
            return null;
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE ivr_flows SET live_version_id = @Id WHERE id = @FlowId", published, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return published;
    }

    /// <summary>Makes an earlier published version live again (one UPDATE: atomic); null when it is not a published version of the flow.</summary>
    public async Task<FlowVersion?> RollBackAsync(long flowId, int version, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<FlowVersion>(new CommandDefinition($"""
            WITH target AS (
                SELECT id FROM ivr_flow_versions WHERE flow_id = @flowId AND version = @version AND published_at IS NOT NULL
            ), moved AS (
                UPDATE ivr_flows SET live_version_id = (SELECT id FROM target) WHERE id = @flowId AND EXISTS (SELECT FROM target)
                RETURNING live_version_id
            )
            SELECT {VersionColumns} FROM ivr_flow_versions WHERE id = (SELECT live_version_id FROM moved)
            """, new { flowId, version }, cancellationToken: ct));
    }

    /// <summary>The version calls run: the live pointer, or the highest published one for flows published before it existed.</summary>
    public async Task<FlowVersion?> CurrentPublishedAsync(long flowId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<FlowVersion>(new CommandDefinition($"""
            SELECT {VersionColumns} FROM ivr_flow_versions v
            WHERE flow_id = @flowId AND published_at IS NOT NULL
            ORDER BY (v.id = (SELECT live_version_id FROM ivr_flows WHERE id = @flowId)) DESC, version DESC LIMIT 1
            """, new { flowId }, cancellationToken: ct));
    }

    public async Task<Flow?> FindByCodeAsync(string code, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Flow>(new CommandDefinition(
            "SELECT id, code, name FROM ivr_flows WHERE code = @code", new { code }, cancellationToken: ct));
    }

    public async Task<FlowVersion?> GetVersionAsync(long flowId, int version, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<FlowVersion>(new CommandDefinition(
            $"SELECT {VersionColumns} FROM ivr_flow_versions WHERE flow_id = @flowId AND version = @version", new { flowId, version }, cancellationToken: ct));
    }

    /// <summary>Points a dialed number ('*' for every other number) at a flow.</summary>
    public async Task SetNumberAsync(string number, long flowId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO ivr_numbers (number, flow_id) VALUES (@number, @flowId)
            ON CONFLICT (number) DO UPDATE SET flow_id = EXCLUDED.flow_id, updated_at = now()
            """, new { number, flowId }, cancellationToken: ct));
    }

    /// <summary>Every number with the live version of its flow: what the IVR answers with.</summary>
    public async Task<IReadOnlyList<LiveFlow>> LiveAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<LiveFlow>(new CommandDefinition("""
            SELECT n.number, f.id AS flow_id, f.code AS flow_code, v.id AS version_id, v.version, v.definition::text AS definition
            FROM ivr_numbers n
            JOIN ivr_flows f ON f.id = n.flow_id
            JOIN LATERAL (
                SELECT id, version, definition FROM ivr_flow_versions
                WHERE flow_id = f.id AND published_at IS NOT NULL
                ORDER BY (id = f.live_version_id) DESC, version DESC LIMIT 1
            ) v ON true
            ORDER BY n.number
            """, cancellationToken: ct))];
    }

    /// <summary>The live version of every flow that has one, whether or not a number points at it yet.</summary>
    public async Task<IReadOnlyList<FlowVersion>> LiveVersionsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<FlowVersion>(new CommandDefinition($"""
            SELECT DISTINCT ON (v.flow_id) v.id, v.flow_id, v.version, v.definition::text AS definition, v.created_at, v.created_by, v.published_at, v.published_by
            FROM ivr_flow_versions v JOIN ivr_flows f ON f.id = v.flow_id
            WHERE v.published_at IS NOT NULL
            ORDER BY v.flow_id, (v.id = f.live_version_id) DESC, v.version DESC
            """, cancellationToken: ct))];
    }

    /// <summary>Every published version: the live ones and those a rollback can make live again.</summary>
    public async Task<IReadOnlyList<FlowVersion>> PublishedVersionsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<FlowVersion>(new CommandDefinition(
            $"SELECT {VersionColumns} FROM ivr_flow_versions WHERE published_at IS NOT NULL ORDER BY flow_id, version", cancellationToken: ct))];
    }

    public async Task<IReadOnlyList<FlowVersion>> VersionsAsync(long flowId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<FlowVersion>(new CommandDefinition(
            $"SELECT {VersionColumns} FROM ivr_flow_versions WHERE flow_id = @flowId ORDER BY version", new { flowId }, cancellationToken: ct))];
    }
}
