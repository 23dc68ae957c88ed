using System.Text.Json;
using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Audit;

/// <summary>Who did what to which entity. The table is append-only in the database itself.</summary>
public sealed record AuditEntry(string Actor, string Action, string Entity, string? EntityId, string? TraceId = null, object? Data = null);

public sealed record AuditRecord(long Id, DateTime At, string Actor, string Action, string Entity, string? EntityId, string? TraceId, string Data);

public sealed class AuditLog(NpgsqlDataSource dataSource)
{
    private const string InsertSql = """
        INSERT INTO audit_log (actor, action, entity, entity_id, trace_id, data)
        VALUES (@Actor, @Action, @Entity, @EntityId, @TraceId, @Data::jsonb)
        """;

    public async Task AppendAsync(AuditEntry entry, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await AppendAsync(connection, null, entry, ct);
    }

    /// <summary>Appends inside the caller's transaction, so that the change and its audit row commit together.</summary>
    public static Task AppendAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditEntry entry, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            entry.Actor,
            entry.Action,
            entry.Entity,
            entry.EntityId,
            entry.TraceId,
            Data = JsonSerializer.Serialize(entry.Data ?? new { }),
        }, transaction, cancellationToken: ct));

    public async Task<IReadOnlyList<AuditRecord>> ListForAsync(string entity, string entityId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AuditRecord>(new CommandDefinition("""
            SELECT id, at, actor, action, entity, entity_id, trace_id, data::text AS data
            FROM audit_log WHERE entity = @entity AND entity_id = @entityId ORDER BY id
            """, new { entity, entityId }, cancellationToken: ct));
        return [.. rows];
    }
}
