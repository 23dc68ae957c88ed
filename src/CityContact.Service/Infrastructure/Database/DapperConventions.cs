using System.Data;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace CityContact.Service.Infrastructure.Database;

/// <summary>Process-wide Dapper settings: snake_case columns map to PascalCase members, text[] maps to string[].</summary>
public static class DapperConventions
{
    private static int applied;

    public static void Apply()
    {
        if (Interlocked.Exchange(ref applied, 1) == 1)
        {
            return;
        }
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        // Npgsql reports text[] columns as System.Array; a handler lets records take string[] in their constructor.
        SqlMapper.AddTypeHandler(new TextArrayHandler());
    }

    private sealed class TextArrayHandler : SqlMapper.TypeHandler<string[]>
    {
        public override string[] Parse(object value) => (string[])value;

        public override void SetValue(IDbDataParameter parameter, string[]? value)
        {
            parameter.Value = (object?)value ?? DBNull.Value;
            if (parameter is NpgsqlParameter npgsql)
            {
                npgsql.NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text;
            }
        }
    }
}
