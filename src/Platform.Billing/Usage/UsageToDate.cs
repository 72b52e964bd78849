using System.Globalization;
using Npgsql;

namespace Platform.Billing.Usage;

internal static class UsageToDate
{
    /// <summary>
    /// Ledger seconds for segments that ended in [from, to) plus segments the ledger does not hold
    /// yet: closed ones awaiting ingestion and running ones up to now (their use so far; an open
    /// segment's end only moves at lease renewal). Each counts whole seconds, as the ledger will.
    /// The ledger part reads the hourly running totals for the whole UTC hours inside [from, to) and
    /// the ledger itself only for the partial hours at either end (docs/decisions/0015).
    /// </summary>
    public static async Task<long> SecondsAsync(NpgsqlConnection connection, Guid tenantId, string deviceKind,
        DateTimeOffset from, DateTimeOffset to, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (wholeFrom, wholeTo) = WholeHours(from, to);
        // Segments come from the job system's metered_segments view (decision 0049). A segment's ledger
        // row is found by (job, attempt, segment), not by rebuilding its key here: the key's format is
        // written once, in UsageSegment.IdempotencyKey.
        await using var command = new NpgsqlCommand("""
            SELECT coalesce((SELECT sum(t.seconds) FROM usage_hourly_totals t
                             WHERE t.tenant_id = $1 AND t.device_kind = $2 AND t.hour >= $6 AND t.hour < $7), 0)
                 + coalesce((SELECT sum(l.seconds) FROM usage_ledger l
                             WHERE l.tenant_id = $1 AND l.device_kind = $2 AND l.ended_at >= $3 AND l.ended_at < $6), 0)
                 + coalesce((SELECT sum(l.seconds) FROM usage_ledger l
                             WHERE l.tenant_id = $1 AND l.device_kind = $2 AND l.ended_at >= $7 AND l.ended_at < $4), 0)
                 + coalesce((SELECT sum(greatest(0, floor(extract(epoch FROM
                                 (CASE WHEN s.closed THEN s.ended_at ELSE greatest(s.ended_at, $5) END) - s.started_at)))::bigint)
                             FROM metered_segments s
                             WHERE s.tenant_id = $1 AND s.device_kind = $2
                               AND ((NOT s.closed AND $5 >= $3 AND $5 < $4) OR (s.closed AND s.ended_at >= $3 AND s.ended_at < $4))
                               AND NOT EXISTS (SELECT 1 FROM usage_ledger l
                                   WHERE l.job_id = s.job_id AND l.attempt = s.attempt AND l.segment = s.segment)), 0)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = deviceKind });
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = wholeFrom.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = wholeTo.UtcDateTime });
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The whole UTC hours inside [from, to), as [first, last): the totals cover them, the ledger the
    /// rest ([from, first) and [last, to)). When no whole hour fits, both are <paramref name="to"/>,
    /// so the ledger covers all of [from, to).
    /// </summary>
    internal static (DateTimeOffset First, DateTimeOffset Last) WholeHours(DateTimeOffset from, DateTimeOffset to)
    {
        var first = HourFloor(from);
        if (first < from)
            first = first.AddHours(1);
        var last = HourFloor(to);
        return first < last ? (first, last) : (to, to);
    }

    private static DateTimeOffset HourFloor(DateTimeOffset instant)
    {
        var ticks = instant.UtcTicks;
        return new DateTimeOffset(ticks - ticks % TimeSpan.TicksPerHour, TimeSpan.Zero);
    }
}
