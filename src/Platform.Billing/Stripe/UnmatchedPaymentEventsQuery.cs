using Npgsql;
using Platform.Billing.Invoices;

namespace Platform.Billing.Stripe;

/// <summary>
/// Refunds and disputes Stripe reported for a charge no invoice of ours is known to have been paid by
/// (yet: the invoice.paid naming it may still come): finance looks at these by hand.
/// </summary>
public sealed class UnmatchedPaymentEventsQuery(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<(PaymentEventView Event, string? ChargeId)>> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT stripe_id, kind, amount, currency, status, reason, event_at, charge_id
            FROM stripe_payment_events WHERE invoice_id IS NULL
            ORDER BY event_at DESC LIMIT 200
            """);
        var list = new List<(PaymentEventView, string?)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((new PaymentEventView(reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }
        return list;
    }
}
