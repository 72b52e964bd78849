using Npgsql;
using NpgsqlTypes;

namespace Platform.Billing;

internal static class Parameters
{
    /// <summary>Adds positional parameters; a null needs its type named, since PostgreSQL cannot infer one from NULL.</summary>
    public static void AddAll(this NpgsqlParameterCollection parameters, NpgsqlDbType nullType, params object?[] values)
    {
        foreach (var value in values)
        {
            parameters.Add(value is null
                ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = nullType }
                : new NpgsqlParameter { Value = value });
        }
    }
}
