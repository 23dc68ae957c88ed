using CityContact.Service.Infrastructure.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CityContact.Service.Tests.Infrastructure;

/// <summary>A fresh, migrated database of its own for one test class, dropped afterwards.</summary>
public class DatabaseFixture : IAsyncLifetime
{
    public string Name { get; } = $"cc_test_{Guid.NewGuid():N}"[..24];

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await using (var server = NpgsqlDataSource.Create(PostgresServer.ConnectionString))
        {
            await server.CreateCommand($"CREATE DATABASE {Name}").ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = Name }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        DapperConventions.Apply();
        await Migrator().MigrateAsync(CancellationToken.None);
    }

    public DatabaseMigrator Migrator() => new(DataSource, NullLogger<DatabaseMigrator>.Instance);

    public virtual async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await using var server = NpgsqlDataSource.Create(PostgresServer.ConnectionString);
        await server.CreateCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)").ExecuteNonQueryAsync();
    }
}
