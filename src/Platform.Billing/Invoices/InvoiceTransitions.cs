using Npgsql;

namespace Platform.Billing.Invoices;

internal static class InvoiceTransitions
{
    /// <summary>
    /// Moves an invoice forward under its row lock; returns the status it has afterwards, or null when
    /// there is no such invoice. A move that is not progress leaves the invoice as it is. Issuing (to open,
    /// or straight to paid) gives the invoice its number in the invoice series and its due date.
    /// </summary>
    public static async Task<(InvoiceStatus Before, InvoiceStatus After)?> MoveAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, Guid invoiceId, InvoiceStatus target, DateTimeOffset at, CancellationToken cancellationToken)
    {
        InvoiceStatus before;
        bool numbered;
        await using (var read = new NpgsqlCommand("SELECT status, number IS NOT NULL FROM invoices WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return null;
            before = InvoiceStatuses.FromDb(reader.GetString(0));
            numbered = reader.GetBoolean(1);
        }
        if (!InvoiceStatuses.CanMove(before, target))
            return (before, before);
        if (!numbered && target is InvoiceStatus.Open or InvoiceStatus.Paid)
        {
            var number = await DocumentNumbers.NextAsync(connection, transaction, DocumentNumbers.Invoices, at, cancellationToken);
            await using var issue = new NpgsqlCommand(
                "UPDATE invoices SET number = $2, due_at = $3 + payment_terms_days * interval '1 day' WHERE id = $1", connection, transaction);
            issue.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            issue.Parameters.Add(new NpgsqlParameter { Value = number });
            issue.Parameters.Add(new NpgsqlParameter { Value = at.UtcDateTime });
            await issue.ExecuteNonQueryAsync(cancellationToken);
        }
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
