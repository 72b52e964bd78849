using Npgsql;

namespace Platform.Billing.Reconciliation;

/// <summary>
/// One tenant's billing period (its invoice) and device class: the seconds the job system metered
/// (closed segments ending in the period), the ledger holds, invoices billed (the period's invoice plus
/// late-usage lines for it on later invoices) and Stripe received (meter events acknowledged, and late
/// usage sent as invoice items). Zero difference is the goal: metered = ledger = invoiced, and = Stripe
/// for a tenant linked to a Stripe customer. <see cref="StripeSeconds"/> is null for a tenant without one.
/// </summary>
public sealed record PeriodReconciliationLine(
    Guid TenantId,
    string TenantName,
    Guid InvoiceId,
    string InvoiceNumber,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    string DeviceKind,
    long MeteredSeconds,
    long LedgerSeconds,
    long InvoicedSeconds,
    long? StripeSeconds)
{
    /// <summary>Metered but not in the ledger (awaiting ingestion); negative: ledger rows whose job was deleted.</summary>
    public long MeteredMinusLedger => MeteredSeconds - LedgerSeconds;

    /// <summary>In the ledger but not billed yet: late usage the next invoice will carry.</summary>
    public long LedgerMinusInvoiced => LedgerSeconds - InvoicedSeconds;

    /// <summary>In the ledger but not (yet) received by Stripe; null when the tenant is not on Stripe.</summary>
    public long? LedgerMinusStripe => StripeSeconds is { } stripe ? LedgerSeconds - stripe : null;

    public bool Balanced => MeteredMinusLedger == 0 && LedgerMinusInvoiced == 0 && LedgerMinusStripe is null or 0;
}

/// <summary>The per-period report for the invoices whose period starts in [from, to) (finance and platform admins).</summary>
public sealed class PeriodReconciliationQuery(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<PeriodReconciliationLine>> ExecuteAsync(DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken = default)
    {
        // Segment seconds use the ledger's rule (whole seconds, rounded down), as ReconciliationQuery does, so equal means equal.
        await using var command = dataSource.CreateCommand("""
            WITH periods AS (
                SELECT i.id, i.tenant_id, coalesce(i.number, 'DRAFT') AS number, i.period_start, i.period_end, i.gpu_seconds, i.cpu_seconds,
                       coalesce(t.name, i.buyer_name) AS name, s.stripe_customer_id IS NOT NULL AS on_stripe
                FROM invoices i
                LEFT JOIN tenants t ON t.id = i.tenant_id
                LEFT JOIN subscriptions s ON s.tenant_id = i.tenant_id
                WHERE i.status <> 'void' AND i.period_start >= $1 AND i.period_start < $2),
            rows AS (
                SELECT p.*, d.device,
                    (SELECT coalesce(sum(greatest(0, floor(extract(epoch FROM u.ended_at - u.started_at))))::bigint, 0)
                     FROM metered_segments u
                     WHERE u.tenant_id = p.tenant_id AND u.device_kind = d.device AND u.closed
                       AND u.started_at < p.period_end AND u.ended_at >= p.period_start AND u.ended_at < p.period_end) AS metered,
                    (SELECT coalesce(sum(l.seconds), 0)::bigint
                     FROM usage_ledger l
                     WHERE l.tenant_id = p.tenant_id AND l.device_kind = d.device AND l.ended_at >= p.period_start AND l.ended_at < p.period_end) AS ledger,
                    (CASE d.device WHEN 'cuda' THEN p.gpu_seconds ELSE p.cpu_seconds END
                     + (SELECT coalesce(sum(il.seconds), 0)::bigint
                        FROM invoice_lines il JOIN invoices li ON li.id = il.invoice_id
                        WHERE li.tenant_id = p.tenant_id AND li.status <> 'void' AND il.kind = 'LateUsage'
                          AND il.usage_period_start = p.period_start AND il.device_kind = d.device)) AS invoiced,
                    (SELECT coalesce(sum(l.seconds) FILTER (WHERE l.stripe_reported_at IS NOT NULL OR l.stripe_invoice_item_id IS NOT NULL), 0)::bigint
                     FROM usage_ledger l
                     WHERE l.tenant_id = p.tenant_id AND l.device_kind = d.device AND l.ended_at >= p.period_start AND l.ended_at < p.period_end) AS stripe
                FROM periods p CROSS JOIN (VALUES ('cuda'), ('cpu')) AS d(device))
            SELECT tenant_id, name, id, number, period_start, period_end, device, metered, ledger, invoiced, CASE WHEN on_stripe THEN stripe END
            FROM rows
            WHERE metered <> 0 OR ledger <> 0 OR invoiced <> 0
            ORDER BY name, period_start, device DESC
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        var lines = new List<PeriodReconciliationLine>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(new PeriodReconciliationLine(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6), reader.GetInt64(7),
                reader.GetInt64(8), reader.GetInt64(9), reader.IsDBNull(10) ? null : reader.GetInt64(10)));
        }
        return lines;
    }
}
