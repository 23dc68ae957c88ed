using Dapper;
using Npgsql;

namespace CityContact.Service.Features.Prompts;

/// <summary>A recorded prompt: one file per key and language.</summary>
public sealed record Prompt(long Id, string Key, string Language, string FilePath, string? Description);

public sealed class PromptStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, key, language, file_path, description";

    /// <summary>Creates the prompt or points the existing key+language at the new file.</summary>
    public async Task<Prompt> SaveAsync(string key, string language, string filePath, string? description, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<Prompt>(new CommandDefinition($"""
            INSERT INTO prompts (key, language, file_path, description) VALUES (@key, @language, @filePath, @description)
            ON CONFLICT (key, language) DO UPDATE SET file_path = EXCLUDED.file_path, description = EXCLUDED.description, updated_at = now()
            RETURNING {Columns}
            """, new { key, language, filePath, description }, cancellationToken: ct));
    }

    public async Task<Prompt?> FindAsync(string key, string language, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Prompt>(new CommandDefinition(
            $"SELECT {Columns} FROM prompts WHERE key = @key AND language = @language", new { key, language }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<Prompt>> ListAsync(string? language, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return [.. await connection.QueryAsync<Prompt>(new CommandDefinition(
            $"SELECT {Columns} FROM prompts WHERE @language::text IS NULL OR language = @language ORDER BY key, language",
            new { language }, cancellationToken: ct))];
    }

    public async Task DeleteAsync(string key, string language, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM prompts WHERE key = @key AND language = @language", new { key, language }, cancellationToken: ct));
    }
}
