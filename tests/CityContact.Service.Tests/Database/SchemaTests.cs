using CityContact.Service.Infrastructure.Database;
using CityContact.Service.Tests.Infrastructure;
using Npgsql;

namespace CityContact.Service.Tests.Database;

public sealed class SchemaTests(DatabaseFixture db) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Migrations_apply_twice_without_error_and_leave_nothing_pending()
    {
        await db.Migrator().MigrateAsync(CancellationToken.None);

        Assert.Empty(await db.Migrator().PendingScriptsAsync(CancellationToken.None));
        await using var count = db.DataSource.CreateCommand("SELECT count(*) FROM schemaversions");
        Assert.Equal((long)DatabaseMigrator.ScriptNames.Count, await count.ExecuteScalarAsync());
        Assert.Contains("sql/0001_schema.sql", DatabaseMigrator.ScriptNames);
    }

    public static TheoryData<string> AppendOnlyTables => ["call_events", "ticket_history", "audit_log"];

    [Theory]
    [MemberData(nameof(AppendOnlyTables))]
    public async Task Append_only_table_refuses_update_delete_and_truncate_even_from_the_owner(string table)
    {
        await InsertRowAsync(table);

        foreach (var statement in new[] { $"UPDATE {table} SET at = now()", $"DELETE FROM {table}", $"TRUNCATE {table} CASCADE" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(statement));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
        }
        Assert.True(await CountAsync(table) >= 1);
    }

    [Theory]
    [MemberData(nameof(AppendOnlyTables))]
    public async Task The_service_role_may_insert_and_read_but_not_update_or_delete_append_only_tables(string table)
    {
        await InsertRowAsync(table);

        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using (var asService = new NpgsqlCommand("SET ROLE citycontact_app", connection))
        {
            await asService.ExecuteNonQueryAsync();
        }
        await using (var read = new NpgsqlCommand($"SELECT count(*) FROM {table}", connection))
        {
            Assert.True((long)(await read.ExecuteScalarAsync())! >= 1);
        }
        foreach (var statement in new[] { $"UPDATE {table} SET at = now()", $"DELETE FROM {table}" })
        {
            await using var command = new NpgsqlCommand(statement, connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            Assert.Contains("permission denied", refused.MessageText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_published_flow_version_cannot_be_changed_or_deleted_but_a_draft_can()
    {
        await ExecuteAsync("""
            INSERT INTO ivr_flows (code, name) VALUES ('schema-main', 'Main');
            INSERT INTO ivr_flow_versions (flow_id, version, definition, created_by, published_at, published_by)
            SELECT id, 1, '{"start":"menu"}', 'admin', now(), 'admin' FROM ivr_flows WHERE code = 'schema-main';
            INSERT INTO ivr_flow_versions (flow_id, version, definition, created_by)
            SELECT id, 2, '{"start":"menu"}', 'admin' FROM ivr_flows WHERE code = 'schema-main';
            """);
        const string Version = "(SELECT v.id FROM ivr_flow_versions v JOIN ivr_flows f ON f.id = v.flow_id WHERE f.code = 'schema-main' AND v.version = {0})";

        var changed = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(
            $"UPDATE ivr_flow_versions SET definition = '{{}}' WHERE id = {string.Format(null, Version, 1)}"));
        Assert.Contains("immutable", changed.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync($"DELETE FROM ivr_flow_versions WHERE id = {string.Format(null, Version, 1)}"));

        await ExecuteAsync($"UPDATE ivr_flow_versions SET definition = '{{\"start\":\"hours\"}}' WHERE id = {string.Format(null, Version, 2)}");
    }

    [Fact]
    public async Task A_call_outcome_outside_the_closed_set_is_refused()
    {
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync("""
            INSERT INTO calls (channel_id, caller, dialed_number, language, started_at, ended_at, outcome)
            VALUES ('schema-outcome', '0700000000', '112', 'ro', now(), now(), 'lost')
            """));
        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
    }

    private async Task InsertRowAsync(string table) => await ExecuteAsync(table switch
    {
        "call_events" => """
            WITH c AS (INSERT INTO calls (channel_id, caller, dialed_number, language, started_at)
                       VALUES (gen_random_uuid()::text, '0700000000', '0800', 'ro', now()) RETURNING id)
            INSERT INTO call_events (call_id, type) SELECT id, 'started' FROM c
            """,
        "ticket_history" => """
            WITH t AS (INSERT INTO tickets (kind, subject) VALUES ('request', 'pothole') RETURNING id)
            INSERT INTO ticket_history (ticket_id, actor, action) SELECT id, 'test', 'created' FROM t
            """,
        _ => "INSERT INTO audit_log (actor, action, entity) VALUES ('test', 'tested', 'schema')",
    });

    private async Task ExecuteAsync(string sql)
    {
        await using var command = db.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string table)
    {
        await using var command = db.DataSource.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
