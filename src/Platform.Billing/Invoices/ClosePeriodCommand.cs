using Npgsql;
using Platform.Billing.Plans;
using Platform.Billing.Tax;
using Platform.Billing.Usage;
using Platform.Domain.Billing;
using Platform.Domain.Billing.Tax;
using Platform.Domain.Common;
using Platform.Domain.Usage;

namespace Platform.Billing.Invoices;

/// <summary>
/// Closes one tenant's billing period into an invoice, once, however many processes try: an advisory
/// lock on (tenant, period) serialises closers, the second finds the first's invoice and returns it,
/// and UNIQUE (tenant_id, period_start) stands behind the lock. The period's closed segments are
/// ingested first (idempotent), then priced from the ledger alone (docs/decisions/0010, 0011).
/// The invoice is written as a draft and, unless asked to stay a draft, finalized (open).
/// Usage of an earlier period that reached the ledger after that period's invoice is billed here, as a
/// LateUsage line per device class naming that period: the earlier period is priced again with all its
/// usage, and the line is what that adds to what its invoice and earlier late lines billed, so included
/// hours it left unused still cover it. The earlier invoice itself never changes.
/// The invoice's tax follows <see cref="TaxRule"/> from the seller's configuration and the buyer's details as
/// they stand at the close; both parties' details are copied onto the invoice so it never changes after.
/// </summary>
public sealed class ClosePeriodCommand(NpgsqlDataSource dataSource, TimeProvider clock, IEnumerable<IUsageSource> sources,
    Microsoft.Extensions.Options.IOptions<BillingOptions>? options = null, Microsoft.Extensions.Options.IOptions<SellerOptions>? seller = null,
    Microsoft.Extensions.Options.IOptions<TaxOptions>? tax = null)
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
        // From the previous period's start: its segments closed after its invoice are billed here as late usage.
        var ingestFrom = period.Start > subscription.Anchor ? subscription.PeriodContaining(period.Start.AddTicks(-1)).Start : period.Start;
        if (sources.LastOrDefault() is { } source)
            await new IngestUsageCommand(dataSource, source).ExecuteAsync(ingestFrom, period.End, tenantId, cancellationToken);

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
        var currency = intervals[0].Plan.Currency;
        var (extraGpu, extraCpu, _) = await QuotaOverrideReader.ReadAsync(connection, tenantId, cancellationToken);
        var lines = PeriodPricing.Price(period, intervals, extraGpu, extraCpu)
            .Concat(await LateUsageLinesAsync(connection, transaction, subscription, period, currency, cancellationToken)).ToList();
        var (gpuSeconds, cpuSeconds, rows) = await LedgerTotals.SumAsync(connection, transaction, tenantId, period.Start, period.End,
            cancellationToken);
        var id = Guid.CreateVersion7(now);
        var parties = await PartiesAsync(connection, transaction, tenantId, cancellationToken);
        var number = await InsertAsync(connection, transaction, id, tenantId, period, currency, gpuSeconds, cpuSeconds, rows, lines, parties,
            now, (options?.Value ?? new BillingOptions()).PaymentTermsDays, cancellationToken);
        if (finalize)
        {
            await InvoiceTransitions.MoveAsync(connection, transaction, id, InvoiceStatus.Open, now, cancellationToken);
            number = await NumberAsync(connection, transaction, id, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return Result<ClosePeriodResult>.Success(new ClosePeriodResult(id, number, true));
    }

    /// <summary>How many earlier invoices are checked for late usage: a year of monthly periods.</summary>
    private const int LateUsageInvoices = 12;

    private static async Task<IReadOnlyList<InvoiceLineDraft>> LateUsageLinesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Subscription subscription, BillingPeriod period, string currency, CancellationToken cancellationToken)
    {
        var earlier = new List<(Guid Id, BillingPeriod Period, long Gpu, long Cpu)>();
        await using (var find = new NpgsqlCommand("""
            SELECT id, period_start, period_end, gpu_seconds, cpu_seconds FROM invoices
            WHERE tenant_id = $1 AND period_start < $2 AND status <> 'void'
            ORDER BY period_start DESC LIMIT $3
            """, connection, transaction))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = subscription.TenantId });
            find.Parameters.Add(new NpgsqlParameter { Value = period.Start.UtcDateTime });
            find.Parameters.Add(new NpgsqlParameter { Value = LateUsageInvoices });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                earlier.Add((reader.GetGuid(0), new BillingPeriod(reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2)),
                    reader.GetInt64(3), reader.GetInt64(4)));
        }
        var lines = new List<InvoiceLineDraft>();
        foreach (var (invoiceId, earlierPeriod, invoicedGpu, invoicedCpu) in earlier.AsEnumerable().Reverse())
        {
            var (gpuNow, cpuNow, _) = await LedgerTotals.SumAsync(connection, transaction, subscription.TenantId, earlierPeriod.Start,
                earlierPeriod.End, cancellationToken);
            if (gpuNow <= invoicedGpu && cpuNow <= invoicedCpu)
                continue; // the common case: nothing arrived after that invoice (late lines only ever add to what was invoiced)
            // What the period's invoice and the late lines since billed, per device class.
            var billed = new Dictionary<string, (long Seconds, decimal Amount)>
            {
                [DeviceClass.Gpu] = (invoicedGpu, 0m),
                [DeviceClass.Cpu] = (invoicedCpu, 0m),
            };
            await using (var sums = new NpgsqlCommand("""
                SELECT l.device_kind, sum(CASE WHEN l.kind = 'LateUsage' THEN l.seconds ELSE 0 END), sum(l.amount)
                FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
                WHERE l.device_kind IS NOT NULL AND i.status <> 'void' AND i.tenant_id = $3
                  AND ((l.invoice_id = $1 AND l.usage_period_start IS NULL) OR (l.kind = 'LateUsage' AND l.usage_period_start = $2))
                GROUP BY l.device_kind
                """, connection, transaction))
            {
                sums.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
                sums.Parameters.Add(new NpgsqlParameter { Value = earlierPeriod.Start.UtcDateTime });
                sums.Parameters.Add(new NpgsqlParameter { Value = subscription.TenantId });
                await using var reader = await sums.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var device = reader.GetString(0);
                    billed[device] = (billed[device].Seconds + reader.GetInt64(1), reader.GetDecimal(2));
                }
            }
            var intervals = new List<PlanInterval>();
            foreach (var (plan, from, to, waiver) in subscription.Intervals(earlierPeriod))
            {
                var (gpu, cpu, _) = await LedgerTotals.SumAsync(connection, transaction, subscription.TenantId, from, to, cancellationToken);
                intervals.Add(new PlanInterval(plan, from, to, gpu, cpu, waiver));
            }
            var (extraGpu, extraCpu, _) = await QuotaOverrideReader.ReadAsync(connection, subscription.TenantId, cancellationToken);
            var repriced = PeriodPricing.Price(earlierPeriod, intervals, extraGpu, extraCpu);
            var lastPlan = subscription.PlanAt(earlierPeriod.End.AddTicks(-1));
            foreach (var (device, now) in new[] { (DeviceClass.Gpu, gpuNow), (DeviceClass.Cpu, cpuNow) })
            {
                var seconds = now - billed[device].Seconds;
                if (seconds <= 0)
                    continue;
                var amount = repriced.Where(l => l.DeviceKind == device).Sum(l => l.Amount.Amount) - billed[device].Amount;
                var hours = (seconds / 3600m).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
                lines.Add(new InvoiceLineDraft(InvoiceLineKind.LateUsage,
                    $"{DeviceClass.Label(device)} time of the period {earlierPeriod.Start:yyyy-MM-dd} to {earlierPeriod.End:yyyy-MM-dd} " +
                    $"metered after its invoice ({hours} h, priced with that period's usage and included hours)",
                    device, seconds, lastPlan.OveragePerHour(device), new Money(amount, currency), earlierPeriod.Start));
            }
        }
        return lines;
    }

    /// <summary>What a draft shows where an issued invoice shows its number: drafts are numbered when issued.</summary>
    public const string DraftNumber = "DRAFT";

    private static async Task<string> NumberAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT coalesce(number, '{DraftNumber}') FROM invoices WHERE id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<ClosePeriodResult?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        BillingPeriod period, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT id, coalesce(number, '{DraftNumber}') FROM invoices WHERE tenant_id = $1 AND period_start = $2 AND status <> 'void'",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = period.Start.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new ClosePeriodResult(reader.GetGuid(0), reader.GetString(1), false) : null;
    }

    /// <summary>The seller's lines, the buyer's details and the tax decision for this tenant now.</summary>
    private sealed record Parties(string SellerDetails, BuyerDetails? Buyer, TaxDecision Tax);

    private async Task<Parties> PartiesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        CancellationToken cancellationToken)
    {
        var sellerOptions = seller?.Value ?? new SellerOptions();
        var buyer = await BuyerDetailsStore.ReadAsync(connection, transaction, tenantId, cancellationToken);
        var decision = TaxRule.Decide((tax?.Value ?? new TaxOptions()).Settings(sellerOptions.Country), buyer?.Country, buyer?.Region, buyer?.TaxId);
        return new Parties(string.Join("\n", sellerOptions.Lines((options?.Value ?? new BillingOptions()).SellerName)), buyer, decision);
    }

    private static async Task<string> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, Guid tenantId,
        BillingPeriod period, string currency, long gpuSeconds, long cpuSeconds, long rows,
        IReadOnlyList<InvoiceLineDraft> lines, Parties parties, DateTimeOffset now, int paymentTermsDays, CancellationToken cancellationToken)
    {
        // Tax per line, each rounded once (decision 0011's rule); the invoice's tax is their sum.
        var taxes = lines.Select(l => parties.Tax.Treatment == TaxTreatment.Standard ? TaxRule.TaxOn(l.Amount, parties.Tax.RatePercent).Amount : 0m)
            .ToList();
        var subtotal = PeriodPricing.Total(lines, currency).Amount;
        var taxAmount = taxes.Sum();
        string number;
        await using (var invoice = new NpgsqlCommand("""
            INSERT INTO invoices (id, tenant_id, number, period_start, period_end, status, currency, total, gpu_seconds,
                cpu_seconds, ledger_rows, created_at, payment_terms_days, buyer_name, seller_details, buyer_address, buyer_country,
                buyer_tax_id, tax_treatment, tax_rate, tax_jurisdiction, tax_reason, subtotal, tax_amount)
            VALUES ($1, $2, NULL, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, coalesce($12, (SELECT name FROM tenants WHERE id = $2)),
                $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
            """, connection, transaction))
        {
            object[] values = [id, tenantId, period.Start.UtcDateTime, period.End.UtcDateTime, currency, subtotal + taxAmount, gpuSeconds, cpuSeconds, rows,
                now.UtcDateTime, paymentTermsDays];
            foreach (var value in values)
                invoice.Parameters.Add(new NpgsqlParameter { Value = value });
            var buyer = parties.Buyer;
            foreach (var text in new[] { buyer?.LegalName, parties.SellerDetails, buyer?.AddressText(), buyer?.Country, buyer?.TaxId })
                invoice.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            invoice.Parameters.Add(new NpgsqlParameter { Value = parties.Tax.Treatment.ToString() });
            invoice.Parameters.Add(new NpgsqlParameter { Value = parties.Tax.RatePercent });
            invoice.Parameters.Add(new NpgsqlParameter { Value = (object?)parties.Tax.Jurisdiction ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            invoice.Parameters.Add(new NpgsqlParameter { Value = parties.Tax.Reason });
            invoice.Parameters.Add(new NpgsqlParameter { Value = subtotal });
            invoice.Parameters.Add(new NpgsqlParameter { Value = taxAmount });
            await invoice.ExecuteNonQueryAsync(cancellationToken);
            number = DraftNumber;
        }
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            await using var insert = new NpgsqlCommand("""
                INSERT INTO invoice_lines (invoice_id, line_no, kind, description, device_kind, seconds, unit_price, amount, usage_period_start, tax_amount)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """, connection, transaction);
            insert.Parameters.AddAll(NpgsqlTypes.NpgsqlDbType.Varchar, id, i + 1, line.Kind.ToString(), line.Description, line.DeviceKind,
                line.Seconds, line.UnitPrice, line.Amount.Amount);
            insert.Parameters.Add(new NpgsqlParameter
            {
                Value = (object?)line.UsagePeriodStart?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz,
            });
            insert.Parameters.Add(new NpgsqlParameter { Value = taxes[i] });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        return number;
    }
}
