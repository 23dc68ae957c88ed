using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Voicemail;

/// <summary>
/// The import guard of the fallback mailbox (table fallback_voicemail, keyed by Asterisk's msg_id): a message is
/// claimed by an INSERT ... ON CONFLICT DO NOTHING whose transaction stays open until its ticket is linked.
/// </summary>
public sealed class FallbackVoicemailStore(NpgsqlDataSource dataSource)
{
    /// <summary>How long a claim waits for another instance that is importing the same message before leaving it to it.</summary>
    private const string ClaimLockTimeout = "5s";

    public async Task<bool> IsImportedAsync(string key, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT FROM fallback_voicemail WHERE msg_key = @key)", new { key }, cancellationToken: ct));
    }

    public async Task<long?> DepartmentIdAsync(string code, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM departments WHERE code = @code", new { code }, cancellationToken: ct));
    }

    /// <summary>
    /// Claims the message, or null when it is imported already or another instance is importing it right now. The
    /// claim's row stays locked (uncommitted) until <see cref="FallbackClaim.CompleteAsync"/>; disposing it before
    /// that gives the message back.
    /// </summary>
    public async Task<FallbackClaim?> ClaimAsync(FallbackMessage message, string mailbox, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        NpgsqlTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(
                $"SET LOCAL lock_timeout = '{ClaimLockTimeout}'", transaction: transaction, cancellationToken: ct));
            var claimed = await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO fallback_voicemail (msg_key, mailbox, left_at, duration_seconds)
                VALUES (@Key, @mailbox, @leftAt, @DurationSeconds)
                ON CONFLICT (msg_key) DO NOTHING
                """, new { message.Key, mailbox, leftAt = message.LeftAt.UtcDateTime, message.DurationSeconds }, transaction, cancellationToken: ct));
            if (claimed == 1)
            {
                var claim = new FallbackClaim(message.Key, connection, transaction);
                connection = null;
                transaction = null;
                return claim;
            }
            return null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return null;
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }
}

/// <summary>A claimed message: its row is written but not committed until the ticket is linked.</summary>
public sealed class FallbackClaim(string key, NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    /// <summary>The ticket an earlier attempt filed for this recording before it died (its ticket committed, its claim did not).</summary>
    public Task<long?> TicketOfRecordingAsync(string recordingRef, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM tickets WHERE recording_ref = @recordingRef ORDER BY id LIMIT 1", new { recordingRef }, transaction, cancellationToken: ct));

    public async Task CompleteAsync(long ticketId, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE fallback_voicemail SET ticket_id = @ticketId, imported_at = now() WHERE msg_key = @key",
            new { ticketId, key }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
