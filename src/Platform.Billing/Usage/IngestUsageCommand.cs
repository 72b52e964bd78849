using Npgsql;
using NpgsqlTypes;
using Platform.Domain.Billing;
using Platform.Domain.Usage;

namespace Platform.Billing.Usage;

/// <summary>
/// Copies closed usage segments into the ledger. The ledger's key is the segment's idempotency key
/// and rows are only ever inserted (ON CONFLICT DO NOTHING), so replaying a window, ingesting a
/// segment twice or in another order changes nothing: a closed segment never changes, so the first
/// copy is the right one. The hourly running totals (docs/decisions/0015) grow in the same statement
/// by the rows actually inserted, so they stay equal to the ledger's sums.
/// </summary>
public sealed class IngestUsageCommand(NpgsqlDataSource dataSource, IUsageSource source)
{
    /// <summary>Ingests segments whose end falls in [from, to); returns how many rows were new.</summary>
    public async Task<long> ExecuteAsync(DateTimeOffset from, DateTimeOffset to, Guid? tenantId = null,
        CancellationToken cancellationToken = default)
    {
        var segments = await source.ClosedSegmentsAsync(from, to, tenantId, cancellationToken);
        return await LedgerWriter.InsertAsync(dataSource, segments, cancellationToken);
    }
}

internal static class LedgerWriter
{
    private const int BatchSize = 5_000;

    public static async Task<long> InsertAsync(NpgsqlDataSource dataSource, IReadOnlyList<UsageSegment> segments,
        CancellationToken cancellationToken)
    {
        var unknown = segments.FirstOrDefault(s => !DeviceClass.IsKnown(s.DeviceKind));
        if (unknown is not null)
            throw new InvalidOperationException($"Segment {unknown.IdempotencyKey} has unknown device kind '{unknown.DeviceKind}'.");
        long inserted = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        for (var offset = 0; offset < segments.Count; offset += BatchSize)
        {
            var batch = segments.Skip(offset).Take(BatchSize).ToList();
            // Arrays and unnest: one round trip per batch, and ON CONFLICT keeps it idempotent (COPY cannot).
            // RETURNING yields only the rows this statement inserted, so only they reach the totals; a
            // concurrent ingest of the same key waits for this one and then inserts nothing. The totals
            // are written in key order so two concurrent ingests lock their rows in the same order.
            await using var command = new NpgsqlCommand("""
                WITH inserted AS (
                    INSERT INTO usage_ledger (idempotency_key, tenant_id, job_id, attempt, segment, worker_id, device_kind,
                        started_at, ended_at, seconds)
                    SELECT * FROM unnest($1::varchar[], $2::uuid[], $3::uuid[], $4::int[], $5::int[], $6::uuid[], $7::varchar[],
                        $8::timestamptz[], $9::timestamptz[], $10::bigint[])
                    -- No conflict target: a segment is unique by its key and by (job, attempt, segment)
                    -- (ux_usage_ledger_segment), and a concurrent ingest may hit either index first.
                    ON CONFLICT DO NOTHING
                    RETURNING tenant_id, device_kind, ended_at, seconds),
                totals AS (
                    INSERT INTO usage_hourly_totals (tenant_id, device_kind, hour, seconds, segments)
                    SELECT tenant_id, device_kind, date_trunc('hour', ended_at, 'UTC'), sum(seconds), count(*)
                    FROM inserted GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                    ON CONFLICT (tenant_id, device_kind, hour) DO UPDATE
                    SET seconds = usage_hourly_totals.seconds + EXCLUDED.seconds,
                        segments = usage_hourly_totals.segments + EXCLUDED.segments)
                SELECT count(*) FROM inserted
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.IdempotencyKey).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.TenantId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.JobId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.Attempt).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.Segment).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.WorkerId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.DeviceKind).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.StartedAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.EndedAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Select(s => s.Seconds).ToArray() });
            inserted += (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        return inserted;
    }
}
