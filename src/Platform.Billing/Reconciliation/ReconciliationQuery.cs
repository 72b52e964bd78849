using Npgsql;

namespace Platform.Billing.Reconciliation;

/// <summary>
/// One tenant and device class in a window: what the job system metered (closed segments), what the
/// ledger holds, and what Stripe acknowledged. Differences are the report's point: segments not in
/// the ledger await ingestion; ledger rows not acknowledged await (or failed) reporting.
/// <see cref="UnbilledDeviceSeconds"/> is device time the workers measured beyond their segments (zero
/// when every segment ends where its device stopped, decision 0019), and <see cref="RenewalEnded"/>
/// counts segments whose worker never reported, which end at their last renewal.
/// </summary>
public sealed record ReconciliationLine(
    Guid TenantId,
    string TenantName,
    string DeviceKind,
    long SegmentCount,
    long SegmentSeconds,
    long LedgerCount,
    long LedgerSeconds,
    long StripeCount,
    long StripeSeconds,
    long RenewalEnded = 0,
    double UnbilledDeviceSeconds = 0)
{
    public long MissingFromLedger => SegmentCount - LedgerCount;

    public long UnacknowledgedByStripe => LedgerCount - StripeCount;

    public bool Balanced => SegmentCount == LedgerCount && SegmentSeconds == LedgerSeconds && LedgerCount == StripeCount;
}

/// <summary>The reconciliation report for [from, to) on segment end (finance and platform admins).</summary>
public sealed class ReconciliationQuery(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<ReconciliationLine>> ExecuteAsync(DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken = default)
    {
        // Segment seconds use the ledger's rule (whole seconds, rounded down) so equal means equal.
        await using var command = dataSource.CreateCommand("""
            WITH segments AS (
                SELECT tenant_id, device_kind, count(*) AS n,
                       sum(greatest(0, floor(extract(epoch FROM ended_at - started_at)))::bigint) AS seconds,
                       count(*) FILTER (WHERE end_source = 'renewal') AS renewal_n,
                       coalesce(sum(greatest(0, measured_seconds - extract(epoch FROM ended_at - started_at)::float8))
                                FILTER (WHERE end_source = 'worker'), 0) AS unbilled
                FROM metered_segments WHERE closed AND ended_at >= $1 AND ended_at < $2
                GROUP BY tenant_id, device_kind),
            ledger AS (
                SELECT tenant_id, device_kind, count(*) AS n, sum(seconds)::bigint AS seconds,
                       count(*) FILTER (WHERE stripe_reported_at IS NOT NULL) AS stripe_n,
                       coalesce(sum(seconds) FILTER (WHERE stripe_reported_at IS NOT NULL), 0)::bigint AS stripe_seconds
                FROM usage_ledger WHERE ended_at >= $1 AND ended_at < $2
                GROUP BY tenant_id, device_kind)
            SELECT coalesce(s.tenant_id, l.tenant_id), coalesce(t.name, '(deleted)'), coalesce(s.device_kind, l.device_kind),
                   coalesce(s.n, 0), coalesce(s.seconds, 0), coalesce(l.n, 0), coalesce(l.seconds, 0),
                   coalesce(l.stripe_n, 0), coalesce(l.stripe_seconds, 0), coalesce(s.renewal_n, 0), coalesce(s.unbilled, 0)
            FROM segments s FULL JOIN ledger l ON l.tenant_id = s.tenant_id AND l.device_kind = s.device_kind
            LEFT JOIN tenants t ON t.id = coalesce(s.tenant_id, l.tenant_id)
            ORDER BY 2, 3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        var lines = new List<ReconciliationLine>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(new ReconciliationLine(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8),
                reader.GetInt64(9), reader.GetDouble(10)));
        }
        return lines;
    }
}
