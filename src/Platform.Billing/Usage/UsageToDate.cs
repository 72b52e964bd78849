using System.Globalization;
using Npgsql;

namespace Platform.Billing.Usage;

internal static class UsageToDate
{
    /// <summary>
    /// Ledger seconds for segments that ended in [from, to) plus segments the ledger does not hold
    /// yet: closed ones awaiting ingestion and running ones up to now (their use so far; an open
    /// segment's end only moves at lease renewal). Each counts whole seconds, as the ledger will.
    /// </summary>
    public static async Task<long> SecondsAsync(NpgsqlConnection connection, Guid tenantId, string deviceKind,
        DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT coalesce((SELECT sum(l.seconds) FROM usage_ledger l
                             WHERE l.tenant_id = $1 AND l.device_kind = $2 AND l.ended_at >= $3 AND l.ended_at < $4), 0)
                 + coalesce((SELECT sum(greatest(0, floor(extract(epoch FROM
                                 (CASE WHEN s.closed THEN s.ended_at ELSE greatest(s.ended_at, $5) END) - s.started_at)))::bigint)
                             FROM usage_segments s
                             WHERE s.tenant_id = $1 AND s.device_kind = $2
                               AND ((NOT s.closed AND $5 >= $3 AND $5 < $4) OR (s.closed AND s.ended_at >= $3 AND s.ended_at < $4))
                               AND NOT EXISTS (SELECT 1 FROM usage_ledger l
                                   WHERE l.idempotency_key = replace(s.job_id::text, '-', '') || ':' || s.attempt || ':' || s.segment)), 0)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = deviceKind });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime });
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
