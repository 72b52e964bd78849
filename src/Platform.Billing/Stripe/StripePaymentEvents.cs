using System.Text.Json;
using Npgsql;
using Platform.Domain.Billing;

namespace Platform.Billing.Stripe;

/// <summary>
/// Refund and dispute webhooks (charge.refunded, charge.dispute.*) recorded against our invoice, and the
/// link from an invoice to the charge that paid it (from invoice.paid). Fields are read from the event's
/// JSON rather than Stripe.net's objects: the charge's invoice and the invoice's charge moved between API
/// versions (invoice.charge and charge.invoice before 2025-03-31, invoice.payments after), and the endpoint
/// may be on either (docs/decisions/0022).
/// </summary>
internal static class StripePaymentEvents
{
    public const string ChargeRefunded = "charge.refunded";
    public const string DisputePrefix = "charge.dispute.";

    /// <summary>Dispute statuses after which the money stays where it is.</summary>
    public static readonly string[] ClosedDisputeStatuses = ["won", "lost", "warning_closed"];

    /// <summary>Remembers which charge and payment intent paid the invoice, and attaches refunds and disputes recorded before it was known.</summary>
    public static async Task LinkInvoiceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid invoiceId, JsonElement invoice,
        CancellationToken cancellationToken)
    {
        var (charge, paymentIntent) = (Text(invoice, "charge"), Text(invoice, "payment_intent"));
        if (invoice.TryGetProperty("payments", out var payments) && payments.ValueKind == JsonValueKind.Object
            && payments.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in data.EnumerateArray())
            {
                if (entry.TryGetProperty("payment", out var payment) && payment.ValueKind == JsonValueKind.Object)
                {
                    charge ??= Text(payment, "charge");
                    paymentIntent ??= Text(payment, "payment_intent");
                }
            }
        }
        if (charge is null && paymentIntent is null)
            return;
        foreach (var sql in new[]
                 {
                     """
                     UPDATE invoices SET stripe_charge_id = coalesce(stripe_charge_id, $2), stripe_payment_intent_id = coalesce(stripe_payment_intent_id, $3)
                     WHERE id = $1
                     """,
                     "UPDATE stripe_payment_events SET invoice_id = $1 WHERE invoice_id IS NULL AND (charge_id = $2 OR payment_intent_id = $3)",
                 })
        {
            await using var link = new NpgsqlCommand(sql, connection, transaction);
            link.Parameters.Add(new NpgsqlParameter { Value = invoiceId });
            link.Parameters.Add(new NpgsqlParameter { Value = (object?)charge ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            link.Parameters.Add(new NpgsqlParameter { Value = (object?)paymentIntent ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            await link.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Records a charge.refunded (the charge's cumulative refunds) or a charge.dispute.* event. Returns
    /// false for an object it cannot read (no id, amount or known currency). An event older than the one
    /// applied last leaves the row as it is; a redelivery is stopped earlier by stripe_events.
    /// </summary>
    public static async Task<bool> RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string type, JsonElement obj,
        DateTimeOffset created, CancellationToken cancellationToken)
    {
        var refund = type == ChargeRefunded;
        var id = Text(obj, "id");
        var currency = Text(obj, "currency")?.ToUpperInvariant();
        if (id is null || currency is null || !Iso4217.IsKnown(currency)
            || !obj.TryGetProperty(refund ? "amount_refunded" : "amount", out var amountElement) || !amountElement.TryGetInt64(out var minor) || minor < 0)
            return false;
        var amount = (decimal)minor;
        for (var i = StripeAmounts.StripeDigits(currency); i > 0; i--)
            amount /= 10;
        var chargeId = refund ? id : Text(obj, "charge");
        var total = obj.TryGetProperty("amount", out var chargeAmount) && chargeAmount.TryGetInt64(out var t) ? t : 0;
        var status = refund ? (minor >= total ? "refunded" : "partially_refunded") : Text(obj, "status") ?? "unknown";
        var reason = refund ? null : Text(obj, "reason");
        Guid? platformId = obj.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && Text(metadata, "platform_invoice_id") is { } raw && Guid.TryParse(raw, out var parsed) ? parsed : null;

        await using var upsert = new NpgsqlCommand($$"""
            WITH owner AS (
                SELECT id FROM invoices
                WHERE id = $9 OR stripe_invoice_id = $10 OR stripe_charge_id = $3 OR stripe_payment_intent_id = $4
                LIMIT 1)
            INSERT INTO stripe_payment_events AS e (stripe_id, kind, invoice_id, charge_id, payment_intent_id, amount, currency, status, reason, event_at)
            VALUES ($1, $2, (SELECT id FROM owner), $3, $4, $5, $6, $7, $8, $11)
            ON CONFLICT (stripe_id) DO UPDATE SET
                -- The newest event's state; an older one only fills in what is still unknown. Within one second a
                -- closed dispute stays closed and a refund total never goes down.
                amount = CASE WHEN {{Newer}} THEN EXCLUDED.amount ELSE e.amount END,
                status = CASE WHEN {{Newer}} THEN EXCLUDED.status ELSE e.status END,
                reason = CASE WHEN {{Newer}} THEN coalesce(EXCLUDED.reason, e.reason) ELSE coalesce(e.reason, EXCLUDED.reason) END,
                event_at = greatest(e.event_at, EXCLUDED.event_at),
                invoice_id = coalesce(e.invoice_id, EXCLUDED.invoice_id),
                charge_id = coalesce(e.charge_id, EXCLUDED.charge_id),
                payment_intent_id = coalesce(e.payment_intent_id, EXCLUDED.payment_intent_id)
            """, connection, transaction);
        upsert.Parameters.AddAll(NpgsqlTypes.NpgsqlDbType.Varchar, id, refund ? "refund" : "dispute", chargeId, Text(obj, "payment_intent"), amount,
            currency, status[..Math.Min(status.Length, 40)], reason is null ? null : reason[..Math.Min(reason.Length, 100)]);
        upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)platformId ?? Guid.Empty });
        upsert.Parameters.Add(new NpgsqlParameter { Value = (object?)Text(obj, "invoice") ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        upsert.Parameters.Add(new NpgsqlParameter { Value = created.UtcDateTime });
        await upsert.ExecuteNonQueryAsync(cancellationToken);
        return true;
    }

    private const string Newer = """
        (e.event_at < EXCLUDED.event_at OR (e.event_at = EXCLUDED.event_at
            AND e.status NOT IN ('won', 'lost', 'warning_closed') AND (e.kind = 'dispute' OR EXCLUDED.amount >= e.amount)))
        """;

    /// <summary>A string property, or null when absent, null or an expanded object (then its id).</summary>
    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object when value.TryGetProperty("id", out var nested) && nested.ValueKind == JsonValueKind.String => nested.GetString(),
                _ => null,
            }
            : null;
}
