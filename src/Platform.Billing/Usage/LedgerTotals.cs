using Npgsql;

namespace Platform.Billing.Usage;

internal static class LedgerTotals
{
    /// <summary>Ledger seconds by device class and the row count for segments that ended in [from, to).</summary>
    public static async Task<(long Gpu, long Cpu, long Rows)> SumAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT coalesce(sum(seconds) FILTER (WHERE device_kind = 'cuda'), 0)::bigint,
                   coalesce(sum(seconds) FILTER (WHERE device_kind = 'cpu'), 0)::bigint,
                   count(*)
            FROM usage_ledger WHERE tenant_id = $1 AND ended_at >= $2 AND ended_at < $3
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
