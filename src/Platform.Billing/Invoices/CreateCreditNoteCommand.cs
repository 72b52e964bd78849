using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Billing.Stripe;
using Platform.Domain.Billing;
using Platform.Domain.Common;

namespace Platform.Billing.Invoices;

/// <summary>
/// Corrects a closed (open or paid) invoice without editing it: a credit note for part or all of its
/// total. The credits on one invoice never exceed its total: the invoice row lock serialises issuers,
/// and the earlier credits are summed in a statement after the lock is held. At READ COMMITTED each
/// statement sees what was committed before it started, so a sum read in the locking statement itself
/// would miss the notes committed while it waited for the lock. When the invoice is mirrored in Stripe,
/// the note goes to Stripe as a credit note after it is committed here; should that fail, the note
/// stands and the next "Send to Stripe" of the invoice sends it.
/// </summary>
public sealed class CreateCreditNoteCommand(NpgsqlDataSource dataSource, TimeProvider clock, ICurrentTenant current,
    global::Stripe.IStripeClient stripe, IOptions<StripeOptions> stripeOptions, ILogger<CreateCreditNoteCommand> logger,
    Platform.Data.Audit.AuditTrail audit)
{
    public async Task<Result<Guid>> ExecuteAsync(Guid invoiceId, decimal amount, string reason, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 500)
            return Result<Guid>.BadRequest("Give a reason of at most 500 characters.");
        if (amount <= 0)
            return Result<Guid>.BadRequest("A credit note's amount must be positive.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var read = new NpgsqlCommand("""
            SELECT i.tenant_id, i.status, i.currency, i.total, i.tax_amount FROM invoices i WHERE i.id = $1 FOR UPDATE
            """, connection, transaction);
        read.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
        Guid tenantId;
        string currency;
        decimal left, total, invoiceTax;
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
                return Result<Guid>.NotFound("Invoice not found.");
            var status = InvoiceStatuses.FromDb(reader.GetString(1));
            if (status is not (InvoiceStatus.Open or InvoiceStatus.Paid))
                return Result<Guid>.Conflict($"Only an open or paid invoice takes a credit note; this one is {status.ToString().ToLowerInvariant()}.");
            tenantId = reader.GetGuid(0);
            currency = reader.GetString(2);
            total = left = reader.GetDecimal(3);
            invoiceTax = reader.GetDecimal(4);
        }
        await using (var credited = new NpgsqlCommand("SELECT coalesce(sum(amount), 0) FROM credit_notes WHERE invoice_id = $1",
            connection, transaction))
        {
            credited.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            left -= (decimal)(await credited.ExecuteScalarAsync(cancellationToken))!;
        }
        var credit = new Money(amount, currency).Rounded();
        if (credit.Amount != amount)
            return Result<Guid>.BadRequest($"The amount has more decimals than {currency} allows.");
        if (credit.Amount > left)
            return Result<Guid>.Conflict($"At most {new Money(left, currency)} can still be credited on this invoice.");
        // The amount credits the invoice's total, tax included; the tax in it is in the invoice's proportion of tax to total.
        var tax = Domain.Billing.Tax.TaxRule.TaxShare(credit, invoiceTax, total).Amount;
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        var number = await DocumentNumbers.NextAsync(connection, transaction, DocumentNumbers.CreditNotes, clock.GetUtcNow(), cancellationToken);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO credit_notes (id, tenant_id, invoice_id, number, amount, reason, created_by, created_at, tax_amount)
            VALUES ($1, $2, $3, $8, $4, $5, $6, $7, $9)
            """, connection, transaction);
        insert.Parameters.AddAll(NpgsqlTypes.NpgsqlDbType.Uuid, id, tenantId, invoiceId, credit.Amount, reason.Trim(), current.UserId,
            clock.GetUtcNow().UtcDateTime, number, tax);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        await audit.WriteAsync(connection, transaction, Platform.Data.Audit.AuditActions.CreditNoteCreate, tenantId, number, null,
            new { invoice = invoiceId, number, amount = credit.Amount, currency, tax, reason = reason.Trim() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (stripeOptions.Value.Enabled)
        {
            try
            {
                await StripeCreditNotes.SendPendingAsync(dataSource, stripe, invoiceId, cancellationToken);
            }
            catch (global::Stripe.StripeException e)
            {
                logger.LogError(e, "Credit note {CreditNote} is recorded but Stripe refused it; send the invoice to Stripe again to retry", id);
            }
        }
        return Result<Guid>.Success(id);
    }
}
