using System.Text;
using Npgsql;

namespace CityContact.Service.Infrastructure.Http;

/// <summary>A constraint violation as the request field it concerns, in the API's words.</summary>
public sealed record DatabaseConflict(int Status, string Title, string Field, string Message);

public static class DatabaseConflicts
{
    /// <summary>
    /// Null for anything that is not a client's conflict. The field comes from PostgreSQL's default constraint names
    /// (&lt;table&gt;_&lt;column&gt;_key / _fkey), so every table is covered without a list to keep up to date.
    /// </summary>
    public static DatabaseConflict? Describe(PostgresException e)
    {
        var column = ColumnOf(e);
        var field = column is null ? "$" : CamelCase(column);
        return e.SqlState switch
        {
            PostgresErrorCodes.UniqueViolation => new(StatusCodes.Status409Conflict, "The value is already taken", field,
                $"{field}: another record already has this value"),
            // Deleting (or re-keying) a row still referenced: the detail names the referencing table.
            PostgresErrorCodes.ForeignKeyViolation when e.Detail?.Contains("is still referenced", StringComparison.Ordinal) == true =>
                new(StatusCodes.Status409Conflict, "The resource is still in use", "id",
                    $"it is still used by {Words(e.TableName ?? "other records")}; remove or move those first"),
            PostgresErrorCodes.ForeignKeyViolation => new(StatusCodes.Status409Conflict, "The request refers to a resource that does not exist", field,
                $"{field}: no such {Words(column is null ? "resource" : column.EndsWith("_id", StringComparison.Ordinal) ? column[..^3] : column)}"),
            // A NUL character in text: PostgreSQL cannot store it (the message names no column).
            PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter => new(StatusCodes.Status400BadRequest,
                "A text value holds a character that cannot be stored", "$", "text values may not contain NUL (\\u0000) characters"),
            PostgresErrorCodes.CheckViolation or PostgresErrorCodes.NotNullViolation or PostgresErrorCodes.StringDataRightTruncation =>
                new(StatusCodes.Status400BadRequest, "A value is out of range", field, $"{field}: value not allowed"),
            _ => null,
        };
    }

    private static string? ColumnOf(PostgresException e)
    {
        if (!string.IsNullOrEmpty(e.ColumnName))
        {
            return e.ColumnName;
        }
        var name = e.ConstraintName;
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }
        foreach (var suffix in new[] { "_fkey", "_key", "_check", "_pkey", "_idx" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                name = name[..^suffix.Length];
                break;
            }
        }
        if (!string.IsNullOrEmpty(e.TableName) && name.StartsWith(e.TableName + "_", StringComparison.Ordinal))
        {
            name = name[(e.TableName.Length + 1)..];
        }
        return name.Length == 0 ? null : name;
    }

    /// <summary>assigned_agent_id → assignedAgentId.</summary>
    public static string CamelCase(string snake)
    {
        var text = new StringBuilder(snake.Length);
        var upper = false;
        foreach (var c in snake)
        {
            if (c == '_')
            {
                upper = text.Length > 0;
                continue;
            }
            text.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return text.ToString();
    }

    private static string Words(string snake) => snake.Replace('_', ' ');
}
