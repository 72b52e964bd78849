using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Billing.Invoices;
using Platform.Domain.Billing;
using Platform.Domain.Billing.Tax;
using Platform.Domain.Common;
using Stripe;

namespace Platform.Billing.Stripe;

/// <summary>
/// Mirrors one of our open invoices in Stripe (draft invoice, one item per priced line, finalize) so
/// Stripe collects it; the invoice.finalized / invoice.paid webhooks then come back to ours through
/// metadata.platform_invoice_id. Every step's Idempotency-Key derives from our invoice id and line
/// number, so a run interrupted anywhere can simply be run again. The invoice's credit notes follow
/// as Stripe credit notes (issued before the push or after it), so Stripe asks for the total less them.
/// The invoice's tax goes with it: a Stripe tax rate on every item (configured rates, reverse charge at
/// 0 %), or automatic_tax when Stripe Tax computes US sales tax.
/// </summary>
public sealed class PushInvoiceToStripeCommand(NpgsqlDataSource dataSource, IStripeClient stripe, IOptions<StripeOptions> options,
    InvoiceQueries invoices)
{
    public async Task<Result<string>> ExecuteAsync(Guid invoiceId, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Enabled)
            return Result<string>.Conflict("Stripe is not configured; the platform bills from its own ledger.");
        var found = await invoices.GetForFinanceAsync(invoiceId, cancellationToken);
        if (!found.IsSuccess)
            return Result<string>.From(found);
        var invoice = found.Value;
        if (invoice.Status != InvoiceStatus.Open)
            return Result<string>.Conflict("Only an open invoice is sent to Stripe.");
        string? customer = null, stripeSubscription = null;
        await using (var read = dataSource.CreateCommand("SELECT stripe_customer_id, stripe_subscription_id FROM subscriptions WHERE tenant_id = $1"))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = invoice.TenantId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                customer = reader.IsDBNull(0) ? null : reader.GetString(0);
                stripeSubscription = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }
        if (customer is null)
            return Result<string>.Conflict("The organisation has no Stripe customer; link it first.");
        // A Stripe subscription already invoices this tenant from the meters (decision 0012): a second invoice would charge twice.
        if (stripeSubscription is not null)
            return Result<string>.Conflict("Stripe bills this organisation through its Stripe subscription; sending our invoice too would charge it twice.");

        var currency = invoice.Currency.ToLowerInvariant();
        var stripeInvoices = new InvoiceService(stripe);
        // Each Stripe id is stored the moment Stripe returns it, before the calls that depend on it: a run
        // retried after Stripe forgot the idempotency keys (~24 h) resumes where the first one stopped.
        var stripeId = invoice.StripeInvoiceId;
        if (stripeId is null)
        {
            var created = (await stripeInvoices.CreateAsync(new InvoiceCreateOptions
            {
                Customer = customer,
                Currency = currency,
                CollectionMethod = "send_invoice",
                DaysUntilDue = invoice.PaymentTermsDays,
                Metadata = new() { ["platform_invoice_id"] = invoice.Id.ToString() },
                // US sales tax left to Stripe Tax: Stripe computes it from the customer's address (decision 0030).
                AutomaticTax = invoice.Tax?.Treatment == nameof(TaxTreatment.StripeTax) ? new InvoiceAutomaticTaxOptions { Enabled = true } : null,
                // The legal mention (reverse charge, outside the scope of VAT) is printed on Stripe's invoice as on ours.
                Footer = string.IsNullOrEmpty(invoice.Tax?.Reason) ? null : invoice.Tax.Reason,
            }, new RequestOptions { IdempotencyKey = $"invoice-{invoice.Id:N}" }, cancellationToken)).Id;
            await using var store = dataSource.CreateCommand(
                "UPDATE invoices SET stripe_invoice_id = coalesce(stripe_invoice_id, $2) WHERE id = $1 RETURNING stripe_invoice_id");
            store.Parameters.Add(new NpgsqlParameter { Value = invoice.Id });
            store.Parameters.Add(new NpgsqlParameter { Value = created });
            stripeId = (string)(await store.ExecuteScalarAsync(cancellationToken))!;
        }
        var sent = new HashSet<int>();
        bool finalized;
        await using (var read = dataSource.CreateCommand("""
            SELECT l.line_no FROM invoice_lines l WHERE l.invoice_id = $1 AND l.stripe_invoice_item_id IS NOT NULL
            UNION ALL SELECT -1 FROM invoices WHERE id = $1 AND stripe_finalized_at IS NOT NULL
            """))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = invoice.Id });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                sent.Add(reader.GetInt32(0));
            finalized = sent.Contains(-1);
        }
        if (!finalized)
        {
            var items = new InvoiceItemService(stripe);
            // Each line carries the invoice's tax rate, so Stripe adds the same tax per line as our close did.
            var taxRate = await StripeTaxRates.ForAsync(dataSource, stripe, invoice.Tax, cancellationToken);
            foreach (var line in invoice.Lines.Where(l => l.Amount != 0 && !sent.Contains(l.LineNo)))
            {
                var item = await items.CreateAsync(new InvoiceItemCreateOptions
                {
                    Customer = customer,
                    Invoice = stripeId,
                    Amount = StripeAmounts.ToStripe(new Money(line.Amount, invoice.Currency)),
                    Currency = currency,
                    Description = line.Description,
                    TaxRates = taxRate is null ? null : [taxRate],
                }, new RequestOptions { IdempotencyKey = $"invoiceitem-{invoice.Id:N}-{line.LineNo}" }, cancellationToken);
                await using var storeItem = dataSource.CreateCommand(
                    "UPDATE invoice_lines SET stripe_invoice_item_id = $3 WHERE invoice_id = $1 AND line_no = $2");
                storeItem.Parameters.Add(new NpgsqlParameter { Value = invoice.Id });
                storeItem.Parameters.Add(new NpgsqlParameter { Value = line.LineNo });
                storeItem.Parameters.Add(new NpgsqlParameter { Value = item.Id });
                await storeItem.ExecuteNonQueryAsync(cancellationToken);
            }
            await stripeInvoices.FinalizeInvoiceAsync(stripeId, null, new RequestOptions { IdempotencyKey = $"finalize-{stripeId}" }, cancellationToken);
            await using var storeFinalized = dataSource.CreateCommand("UPDATE invoices SET stripe_finalized_at = now() WHERE id = $1");
            storeFinalized.Parameters.Add(new NpgsqlParameter { Value = invoice.Id });
            await storeFinalized.ExecuteNonQueryAsync(cancellationToken);
        }
        await StripeCreditNotes.SendPendingAsync(dataSource, stripe, invoice.Id, cancellationToken);
        return Result<string>.Success(stripeId);
    }
}
