using CityContact.Service.Features.Audit;
using CityContact.Service.Infrastructure.Http;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Auth;

public sealed record ApiKey(long Id, string Prefix, string Name, string Role, DateTime CreatedAt, string CreatedBy, DateTime? RevokedAt);

public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, prefix, name, role, created_at, created_by, revoked_at";

    /// <summary>Creates a key and its audit row together; the returned secret exists nowhere else.</summary>
    public async Task<(ApiKey Key, string Secret)> CreateAsync(string name, string role, string actor, string? traceId, CancellationToken ct)
    {
        var (prefix, secret) = ApiKeySecret.Generate();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var key = await connection.QuerySingleAsync<ApiKey>(new CommandDefinition($"""
            INSERT INTO api_keys (prefix, name, role, secret_hash, created_by)
            VALUES (@prefix, @name, @role, @hash, @actor)
            RETURNING {Columns}
            """, new { prefix, name, role, hash = ApiKeySecret.Hash(secret), actor }, transaction, cancellationToken: ct));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(actor, "api_key.created", "api_key", key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), traceId, new { key.Prefix, key.Name, key.Role }), ct);
        await transaction.CommitAsync(ct);
        return (key, secret);
    }

    /// <summary>The active key matching <paramref name="presented"/>, compared in constant time; null when unknown or revoked.</summary>
    public async Task<ApiKey?> FindActiveAsync(string presented, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, string Prefix, string Name, string Role, DateTime CreatedAt, string CreatedBy, byte[] SecretHash)>(
            new CommandDefinition("""
                SELECT id, prefix, name, role, created_at, created_by, secret_hash
                FROM api_keys WHERE prefix = @prefix AND revoked_at IS NULL
                """, new { prefix = ApiKeySecret.PrefixOf(presented) }, cancellationToken: ct));
        return row.SecretHash is not null && ApiKeySecret.Matches(presented, row.SecretHash)
            ? new ApiKey(row.Id, row.Prefix, row.Name, row.Role, row.CreatedAt, row.CreatedBy, null)
            : null;
    }

    public async Task<ApiKey?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ApiKey>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<Page<ApiKey>> ListAsync(PageRequest page, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM api_keys", cancellationToken: ct));
        var items = await connection.QueryAsync<ApiKey>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys ORDER BY id LIMIT @Limit OFFSET @Offset", page, cancellationToken: ct));
        return Page.Of([.. items], total, page);
    }

    /// <summary>Revokes the key (idempotent) and audits it; false when no such key exists.</summary>
    public async Task<bool> RevokeAsync(long id, string actor, string? traceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var prefix = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition("""
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = @id RETURNING prefix
            """, new { id }, transaction, cancellationToken: ct));
        if (prefix is null)
        {
            return false;
        }
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(actor, "api_key.revoked", "api_key", id.ToString(System.Globalization.CultureInfo.InvariantCulture), traceId, new { prefix }), ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Stores the configured bootstrap admin key's hash. Idempotent: the same key changes nothing (a revoked
    /// bootstrap key stays revoked); a different key replaces the hash and is active.
    /// </summary>
    public async Task<bool> EnsureBootstrapAsync(string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO api_keys (prefix, name, role, secret_hash, created_by)
            VALUES (@prefix, 'bootstrap admin key (Auth:BootstrapAdminKey)', 'admin', @hash, 'configuration')
            ON CONFLICT (prefix) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, revoked_at = NULL
            WHERE api_keys.secret_hash <> EXCLUDED.secret_hash
            """, new { prefix = ApiKeySecret.BootstrapPrefix, hash = ApiKeySecret.Hash(key) }, transaction, cancellationToken: ct)) > 0;
        if (changed)
        {
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry("configuration", "api_key.bootstrapped", "api_key", ApiKeySecret.BootstrapPrefix), ct);
        }
        await transaction.CommitAsync(ct);
        return changed;
    }
}
