using Npgsql;
using Platform.Billing.Plans;
using Platform.Billing.Usage;
using Platform.Domain.Billing;
using Platform.Domain.Common;
using Platform.Domain.Usage;

namespace Platform.Billing.Invoices;

/// <summary>
/// Closes one tenant's billing period into an invoice, once, however many processes try: an advisory
/// lock on (tenant, period) serialises closers, the second finds the first's invoice and returns it,
/// and UNIQUE (tenant_id, period_start) stands behind the lock. The period's closed segments are
/// ingested first (idempotent), then priced from the ledger alone (docs/decisions/0010, 0011).
/// The invoice is written as a draft and, unless asked to stay a draft, finalized (open).
/// </summary>
public sealed class ClosePeriodCommand(NpgsqlDataSource dataSource, TimeProvider clock, IEnumerable<IUsageSource> sources)
{
    public async Task<Result<ClosePeriodResult>> ExecuteAsync(Guid tenantId, DateTimeOffset instantInPeriod, bool finalize = true,
        CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
        if (subscription is null)
            return Result<ClosePeriodResult>.NotFound("The organisation has no subscription to invoice.");
        var period = subscription.PeriodContaining(instantInPeriod);
        if (period.End > now)
            return Result<ClosePeriodResult>.Conflict($"The period ending {period.End:yyyy-MM-dd HH:mm} UTC has not ended yet.");

        // Usage is copied in outside the lock: ingestion is idempotent, and a slow source must not hold closers up.
        if (sources.LastOrDefault() is { } source)
            await new IngestUsageCommand(dataSource, source).ExecuteAsync(period.Start, period.End, tenantId, cancellationToken);

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = $"billing-close:{tenantId:N}:{period.Start.UtcTicks}" });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        if (await FindAsync(connection, transaction, tenantId, period, cancellationToken) is { } existing)
            return Result<ClosePeriodResult>.Success(existing with { Created = false });

        var intervals = new List<PlanInterval>();
        foreach (var (plan, from, to, waiver) in subscription.Intervals(period))
        {
            var (gpu, cpu, _) = await LedgerTotals.SumAsync(connection, transaction, tenantId, from, to, cancellationToken);
            intervals.Add(new PlanInterval(plan, from, to, gpu, cpu, waiver));
        }
        if (intervals.Count == 0)
            return Result<ClosePeriodResult>.Conflict("The subscription started after this period; there is nothing to invoice.");
        var lines = PeriodPricing.Price(period, intervals);
        var currency = intervals[0].Plan.Currency;
        var (gpuSeconds, cpuSeconds, rows) = await LedgerTotals.SumAsync(connection, transaction, tenantId, period.Start, period.End,
            cancellationToken);
        var id = Guid.CreateVersion7(now);
        var number = await InsertAsync(connection, transaction, id, tenantId, period, currency,
            PeriodPricing.Total(lines, currency).Amount, gpuSeconds, cpuSeconds, rows, lines, now, cancellationToken);
        if (finalize)
            await InvoiceTransitions.MoveAsync(connection, transaction, id, InvoiceStatus.Open, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result<ClosePeriodResult>.Success(new ClosePeriodResult(id, number, true));
    }

    private static async Task<ClosePeriodResult?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        BillingPeriod period, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT id, number FROM invoices WHERE tenant_id = $1 AND period_start = $2", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = period.Start.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ClosePeriodResult(reader.GetGuid(0), reader.GetString(1), false) : null;
    }

    private static async Task<string> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, Guid tenantId,
        BillingPeriod period, string currency, decimal total, long gpuSeconds, long cpuSeconds, long rows,
        IReadOnlyList<InvoiceLineDraft> lines, DateTimeOffset now, CancellationToken cancellationToken)
    {
        string number;
        await using (var invoice = new NpgsqlCommand("""
            INSERT INTO invoices (id, tenant_id, number, period_start, period_end, status, currency, total, gpu_seconds,
                cpu_seconds, ledger_rows, created_at)
            VALUES ($1, $2, 'INV-' || to_char($3 AT TIME ZONE 'UTC', 'YYYYMM') || '-' || lpad(nextval('invoice_numbers')::text, 6, '0'),
                $3, $4, 'draft', $5, $6, $7, $8, $9, $10)
            RETURNING number
            """, connection, transaction))
        {
            object[] values = [id, tenantId, period.Start.UtcDateTime, period.End.UtcDateTime, currency, total, gpuSeconds, cpuSeconds, rows, now.UtcDateTime];
            foreach (var value in values)
                invoice.Parameters.Add(new NpgsqlParameter { Value = value });
            number = (string)(await invoice.ExecuteScalarAsync(cancellationToken))!;
        }
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            await using var insert = new NpgsqlCommand("""
                INSERT INTO invoice_lines (invoice_id, line_no, kind, description, device_kind, seconds, unit_price, amount)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, connection, transaction);
            insert.Parameters.AddAll(NpgsqlTypes.NpgsqlDbType.Varchar, id, i + 1, line.Kind.ToString(), line.Description, line.DeviceKind,
                line.Seconds, line.UnitPrice, line.Amount.Amount);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        return number;
    }
}
