using Npgsql;
using Platform.Domain.Billing;
using Stripe;

namespace Platform.Billing.Stripe;

/// <summary>
/// Sends an invoice's credit notes that Stripe has not got yet as Stripe credit notes on the Stripe
/// invoice that mirrors it, so that Stripe collects the total less the credits (on an open invoice the
/// credit lowers the amount due; on a paid one Stripe credits the customer's balance). The
/// Idempotency-Key derives from our credit note's id, and the Stripe id is stored once Stripe took it:
/// a re-run sends only what is still missing.
/// </summary>
internal static class StripeCreditNotes
{
    public static async Task<int> SendPendingAsync(NpgsqlDataSource dataSource, IStripeClient stripe, Guid invoiceId,
        CancellationToken cancellationToken)
    {
        var pending = new List<(Guid Id, string Number, decimal Amount, string Reason, string Currency, string StripeInvoiceId)>();
        await using (var read = dataSource.CreateCommand("""
            SELECT c.id, c.number, c.amount, c.reason, i.currency, i.stripe_invoice_id
            FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id
            WHERE c.invoice_id = $1 AND c.stripe_credit_note_id IS NULL AND i.stripe_invoice_id IS NOT NULL
            ORDER BY c.created_at, c.id
            """))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                pending.Add((reader.GetGuid(0), reader.GetString(1), reader.GetDecimal(2), reader.GetString(3), reader.GetString(4),
                    reader.GetString(5)));
        }
        var service = new CreditNoteService(stripe);
        foreach (var note in pending)
        {
            var created = await service.CreateAsync(new CreditNoteCreateOptions
            {
                Invoice = note.StripeInvoiceId,
                Amount = StripeAmounts.ToStripe(new Money(note.Amount, note.Currency)),
                Memo = $"{note.Number}: {note.Reason}",
                Metadata = new() { ["platform_credit_note_id"] = note.Id.ToString() },
            }, new RequestOptions { IdempotencyKey = $"creditnote-{note.Id:N}" }, cancellationToken);
            await using var store = dataSource.CreateCommand(
                "UPDATE credit_notes SET stripe_credit_note_id = $2 WHERE id = $1 AND stripe_credit_note_id IS NULL");
            store.Parameters.Add(new NpgsqlParameter { Value = note.Id });
            store.Parameters.Add(new NpgsqlParameter { Value = created.Id });
            await store.ExecuteNonQueryAsync(cancellationToken);
        }
        return pending.Count;
    }
}
