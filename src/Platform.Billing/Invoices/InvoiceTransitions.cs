using Npgsql;

namespace Platform.Billing.Invoices;

internal static class InvoiceTransitions
{
    /// <summary>
    /// Moves an invoice forward under its row lock; returns the status it has afterwards, or null when
    /// there is no such invoice. A move that is not progress leaves the invoice as it is.
    /// </summary>
    public static async Task<(InvoiceStatus Before, InvoiceStatus After)?> MoveAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, Guid invoiceId, InvoiceStatus target, DateTimeOffset at, CancellationToken cancellationToken)
    {
        InvoiceStatus before;
        await using (var read = new NpgsqlCommand("SELECT status FROM invoices WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            if (await read.ExecuteScalarAsync(cancellationToken) is not string status)
                return null;
            before = InvoiceStatuses.FromDb(status);
        }
        if (!InvoiceStatuses.CanMove(before, target))
            return (before, before);
        await using var update = new NpgsqlCommand("""
            UPDATE invoices SET status = $2,
                finalized_at = CASE WHEN $2 IN ('open', 'paid') THEN coalesce(finalized_at, $3) ELSE finalized_at END,
                paid_at = CASE WHEN $2 = 'paid' THEN $3 ELSE paid_at END,
                voided_at = CASE WHEN $2 = 'void' THEN $3 ELSE voided_at END
            WHERE id = $1
            """, connection, transaction);
        update.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
        update.Parameters.Add(new NpgsqlParameter { Value = InvoiceStatuses.ToDb(target) });
        update.Parameters.Add(new NpgsqlParameter { Value = at.UtcDateTime });
        await update.ExecuteNonQueryAsync(cancellationToken);
        return (before, target);
    }
}
