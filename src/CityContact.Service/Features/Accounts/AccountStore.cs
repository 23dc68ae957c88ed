using System.Globalization;
using CityContact.Service.Features.Audit;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Accounts;

/// <summary>The accounts table and its audit rows; every change commits with its audit row.</summary>
public sealed class AccountStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        id, username, display_name, role, agent_id, language, disabled, failed_attempts, locked_until, created_at, created_by, updated_at
        """;

    /// <summary>What sign-in needs: the account, its hash, and the stamp its sessions carry.</summary>
    public sealed record Credentials(Account Account, string PasswordHash, Guid SecurityStamp);

    private sealed record CredentialsRow(
        long Id, string Username, string DisplayName, string Role, long? AgentId, string Language, bool Disabled, int FailedAttempts,
        DateTime? LockedUntil, DateTime CreatedAt, string CreatedBy, DateTime UpdatedAt, string PasswordHash, Guid SecurityStamp)
    {
        public Credentials ToCredentials() => new(
            new Account(Id, Username, DisplayName, Role, AgentId, Language, Disabled, FailedAttempts, LockedUntil, CreatedAt, CreatedBy, UpdatedAt),
            PasswordHash, SecurityStamp);
    }

    public async Task<Account> CreateAsync(NewAccount account, string passwordHash, string actor, string? traceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var created = await connection.QuerySingleAsync<Account>(new CommandDefinition($"""
            INSERT INTO accounts (username, display_name, role, agent_id, language, password_hash, created_by)
            VALUES (@Username, @DisplayName, @Role, @AgentId, @Language, @passwordHash, @actor)
            RETURNING {Columns}
            """, new { account.Username, account.DisplayName, account.Role, account.AgentId, account.Language, passwordHash, actor },
            transaction, cancellationToken: ct));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(actor, "account.created", "account", IdOf(created.Id), traceId,
            new { created.Username, created.Role, created.AgentId }), ct);
        await transaction.CommitAsync(ct);
        return created;
    }

    public async Task<Account?> GetAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition(
            $"SELECT {Columns} FROM accounts WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<Account>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<Account>(new CommandDefinition(
            $"SELECT {Columns} FROM accounts ORDER BY username", cancellationToken: ct))];
    }

    public async Task<Credentials?> FindCredentialsAsync(string username, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CredentialsRow>(new CommandDefinition(
            $"SELECT {Columns}, password_hash, security_stamp FROM accounts WHERE username = @username", new { username }, cancellationToken: ct));
        return row?.ToCredentials();
    }

    /// <summary>The stamp a live session must still carry; null when the account is gone or disabled.</summary>
    public async Task<Guid?> ActiveStampAsync(long id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "SELECT security_stamp FROM accounts WHERE id = @id AND NOT disabled", new { id }, cancellationToken: ct));
    }

    public async Task<bool> AnyAdminAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT FROM accounts WHERE role = 'admin')", cancellationToken: ct));
    }

    /// <summary>Counts one wrong password atomically; the account locks at <paramref name="maxAttempts"/>. True when this failure locked it.</summary>
    public async Task<bool> RecordFailureAsync(long id, DateTimeOffset now, int maxAttempts, TimeSpan lockout, string? address, string? traceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var locked = await connection.QuerySingleAsync<bool>(new CommandDefinition("""
            UPDATE accounts SET
                failed_attempts = CASE WHEN failed_attempts + 1 >= @maxAttempts THEN 0 ELSE failed_attempts + 1 END,
                locked_until = CASE WHEN failed_attempts + 1 >= @maxAttempts THEN @until ELSE locked_until END
            WHERE id = @id
            RETURNING coalesce(locked_until = @until, false)
            """, new { id, maxAttempts, until = (now + lockout).UtcDateTime }, transaction, cancellationToken: ct));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry("anonymous", locked ? "account.locked" : "account.sign_in_failed",
            "account", IdOf(id), traceId, new { address }), ct);
        await transaction.CommitAsync(ct);
        return locked;
    }

    public async Task RecordSignInAsync(long id, string? rehashedPassword, string? address, string? traceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE accounts SET failed_attempts = 0, locked_until = NULL, password_hash = coalesce(@rehashedPassword, password_hash)
            WHERE id = @id
            """, new { id, rehashedPassword }, transaction, cancellationToken: ct));
        await AuditLog.AppendAsync(connection, transaction, new AuditEntry(await UsernameAsync(connection, transaction, id, ct), "account.signed_in",
            "account", IdOf(id), traceId, new { address }), ct);
        await transaction.CommitAsync(ct);
    }

    public Task AuditSignOutAsync(long id, string actor, string? traceId, CancellationToken ct) =>
        AppendAsync(new AuditEntry(actor, "account.signed_out", "account", IdOf(id), traceId), ct);

    /// <summary>Applies the given fields; disabling ends the account's sessions (new stamp). Null when no such account.</summary>
    public async Task<Account?> UpdateAsync(long id, AccountChange change, string actor, string? traceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var updated = await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition($"""
            UPDATE accounts SET
                display_name = coalesce(@DisplayName, display_name),
                language = coalesce(@Language, language),
                disabled = coalesce(@Disabled, disabled),
                security_stamp = CASE WHEN @Disabled IS TRUE AND NOT disabled THEN gen_random_uuid() ELSE security_stamp END,
                updated_at = now()
            WHERE id = @id
            RETURNING {Columns}
            """, new { id, change.DisplayName, change.Language, change.Disabled }, transaction, cancellationToken: ct));
        if (updated is not null)
        {
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(actor, "account.updated", "account", IdOf(id), traceId, change), ct);
        }
        await transaction.CommitAsync(ct);
        return updated;
    }

    /// <summary>An admin's reset: the new hash, the lock lifted, every session of the account ended. Audited with who did it.</summary>
    public async Task<Account?> ResetPasswordAsync(long id, string passwordHash, string actor, string? traceId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var updated = await connection.QuerySingleOrDefaultAsync<Account>(new CommandDefinition($"""
            UPDATE accounts SET password_hash = @passwordHash, security_stamp = gen_random_uuid(), failed_attempts = 0, locked_until = NULL,
                updated_at = now()
            WHERE id = @id
            RETURNING {Columns}
            """, new { id, passwordHash }, transaction, cancellationToken: ct));
        if (updated is not null)
        {
            await AuditLog.AppendAsync(connection, transaction, new AuditEntry(actor, "account.password_reset", "account", IdOf(id), traceId), ct);
        }
        await transaction.CommitAsync(ct);
        return updated;
    }

    private async Task AppendAsync(AuditEntry entry, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await AuditLog.AppendAsync(connection, null, entry, ct);
    }

    private static Task<string> UsernameAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, CancellationToken ct) =>
        connection.QuerySingleAsync<string>(new CommandDefinition("SELECT username FROM accounts WHERE id = @id", new { id }, transaction, cancellationToken: ct));

    private static string IdOf(long id) => id.ToString(CultureInfo.InvariantCulture);
}
