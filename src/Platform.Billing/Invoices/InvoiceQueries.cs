using Npgsql;
using Platform.Domain.Common;

namespace Platform.Billing.Invoices;

/// <summary>
/// Invoices for the current tenant (<see cref="GetAsync"/>, <see cref="ListAsync"/>) and, for the
/// finance area, across tenants (<see cref="GetForFinanceAsync"/>, <see cref="ListForFinanceAsync"/>;
/// the web tier allows those to finance and platform admins only). Another tenant's invoice is NotFound.
/// </summary>
public sealed class InvoiceQueries(NpgsqlDataSource dataSource, ICurrentTenant current)
{
    public async Task<Result<InvoiceView>> GetAsync(Guid invoiceId, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result<InvoiceView>.Forbidden("Choose an organisation first.");
        var view = await ReadAsync(invoiceId, tenantId, cancellationToken);
        return view is null ? Result<InvoiceView>.NotFound("Invoice not found.") : Result<InvoiceView>.Success(view);
    }

    public async Task<Result<InvoiceView>> GetForFinanceAsync(Guid invoiceId, CancellationToken cancellationToken = default)
    {
        var view = await ReadAsync(invoiceId, null, cancellationToken);
        return view is null ? Result<InvoiceView>.NotFound("Invoice not found.") : Result<InvoiceView>.Success(view);
    }

    public async Task<IReadOnlyList<InvoiceSummary>> ListAsync(CancellationToken cancellationToken = default) =>
        current.TenantId is { } tenantId ? await ListCoreAsync(new InvoiceFilter(tenantId), cancellationToken) : [];

    public Task<IReadOnlyList<InvoiceSummary>> ListForFinanceAsync(Guid? tenantId = null, CancellationToken cancellationToken = default) =>
        ListCoreAsync(new InvoiceFilter(tenantId), cancellationToken);

    public Task<IReadOnlyList<InvoiceSummary>> ListForFinanceAsync(InvoiceFilter filter, CancellationToken cancellationToken = default) =>
        ListCoreAsync(filter, cancellationToken);

    /// <summary>
    /// Per tenant and currency, the invoices whose period starts in [from, to) (void ones left out):
    /// what the finance usage page shows beside a month's usage.
    /// </summary>
    public async Task<IReadOnlyList<InvoicedTotal>> TotalsByTenantAsync(DateTimeOffset from, DateTimeOffset to,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT i.tenant_id, i.currency, sum(i.total), count(*),
                   coalesce(sum((SELECT sum(c.amount) FROM credit_notes c WHERE c.invoice_id = i.id)), 0)
            FROM invoices i
            WHERE i.period_start >= $1 AND i.period_start < $2 AND i.status <> 'void'
            GROUP BY i.tenant_id, i.currency
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        var list = new List<InvoicedTotal>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new InvoicedTotal(reader.GetGuid(0), reader.GetString(1), reader.GetDecimal(2), (int)reader.GetInt64(3), reader.GetDecimal(4)));
        return list;
    }

    private async Task<IReadOnlyList<InvoiceSummary>> ListCoreAsync(InvoiceFilter filter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT i.id, coalesce(i.number, 'DRAFT'), i.tenant_id, coalesce(t.name, i.buyer_name), i.period_start, i.period_end, i.status, i.currency, i.total,
                   coalesce((SELECT sum(c.amount) FROM credit_notes c WHERE c.invoice_id = i.id), 0)
            FROM invoices i LEFT JOIN tenants t ON t.id = i.tenant_id
            WHERE ($1::uuid IS NULL OR i.tenant_id = $1)
              AND ($2::varchar IS NULL OR i.status = $2)
              AND ($3::timestamptz IS NULL OR i.period_start >= $3)
              AND ($4::timestamptz IS NULL OR i.period_start < $4)
            ORDER BY i.period_start DESC, i.number DESC
            LIMIT 500
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = filter.Status is { } status ? InvoiceStatuses.ToDb(status) : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.PeriodStartFrom?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)filter.PeriodStartTo?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var list = new List<InvoiceSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new InvoiceSummary(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), InvoiceStatuses.FromDb(reader.GetString(6)),
                reader.GetString(7), reader.GetDecimal(8), reader.GetDecimal(9)));
        }
        return list;
    }

    private async Task<InvoiceView?> ReadAsync(Guid invoiceId, Guid? tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT i.id, coalesce(i.number, 'DRAFT'), i.tenant_id, coalesce(t.name, i.buyer_name), i.period_start, i.period_end, i.status, i.currency, i.total,
                   i.gpu_seconds, i.cpu_seconds, i.created_at, i.finalized_at, i.paid_at, i.voided_at, i.stripe_invoice_id,
                   i.seller_details, i.buyer_name, i.buyer_address, i.buyer_country, i.buyer_tax_id,
                   i.tax_treatment, i.tax_rate, i.tax_jurisdiction, i.tax_reason, coalesce(i.subtotal, i.total - i.tax_amount), i.tax_amount, i.due_at, i.payment_terms_days
            FROM invoices i LEFT JOIN tenants t ON t.id = i.tenant_id
            WHERE i.id = $1 AND ($2::uuid IS NULL OR i.tenant_id = $2)
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        InvoiceView view;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
                return null;
            view = new InvoiceView(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), InvoiceStatuses.FromDb(reader.GetString(6)),
                reader.GetString(7), [], reader.GetDecimal(8), [], 0, 0, reader.GetInt64(9), reader.GetInt64(10),
                reader.GetFieldValue<DateTimeOffset>(11), Nullable(reader, 12), Nullable(reader, 13), Nullable(reader, 14),
                reader.IsDBNull(15) ? null : reader.GetString(15));
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            static IReadOnlyList<string> Split(string? text) => text is null ? [] : text.Split('\n');
            // Invoices closed before seller details were recorded have none: the page then shows the brand only.
            var parties = Text(16) is { } sellerText
                ? new InvoiceParties(Split(sellerText), reader.GetString(17), Split(Text(18)), Text(19), Text(20))
                : null;
            var tax = new InvoiceTax(reader.GetString(21), reader.GetDecimal(22), Text(23), reader.GetString(24), reader.GetDecimal(25),
                reader.GetDecimal(26));
            view = view with { Parties = parties, Tax = tax, DueAt = Nullable(reader, 27), PaymentTermsDays = reader.GetInt32(28) };
        }
        var lines = new List<InvoiceLineView>();
        await using (var lineCommand = new NpgsqlCommand("""
            SELECT line_no, kind, description, device_kind, seconds, unit_price, amount, tax_amount
            FROM invoice_lines WHERE invoice_id = $1 ORDER BY line_no
            """, connection))
        {
            lineCommand.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            await using var reader = await lineCommand.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var seconds = reader.GetInt64(4);
                lines.Add(new InvoiceLineView(reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), seconds, Math.Round(seconds / 3600m, 4), reader.GetDecimal(5),
                    reader.GetDecimal(6), reader.GetDecimal(7)));
            }
        }
        var credits = new List<CreditNoteView>();
        await using (var creditCommand = new NpgsqlCommand(
            "SELECT id, number, amount, reason, created_at, tax_amount FROM credit_notes WHERE invoice_id = $1 ORDER BY created_at, number", connection))
        {
            creditCommand.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            await using var reader = await creditCommand.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                credits.Add(new CreditNoteView(reader.GetGuid(0), reader.GetString(1), reader.GetDecimal(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetDecimal(5)));
        }
        var payments = new List<PaymentEventView>();
        await using (var paymentCommand = new NpgsqlCommand(
            "SELECT stripe_id, kind, amount, currency, status, reason, event_at FROM stripe_payment_events WHERE invoice_id = $1 ORDER BY first_seen_at, stripe_id",
            connection))
        {
            paymentCommand.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            await using var reader = await paymentCommand.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                payments.Add(new PaymentEventView(reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.GetString(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }
        var credited = credits.Sum(c => c.Amount);
        var due = view.Status is InvoiceStatus.Paid or InvoiceStatus.Void ? 0m : Math.Max(0m, view.Total - credited);
        return view with { Lines = lines, CreditNotes = credits, Credited = credited, AmountDue = due, Payments = payments };
    }

    private static DateTimeOffset? Nullable(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
