using Npgsql;
using Platform.Billing.Invoices;
using Platform.Domain.Billing.Tax;
using Stripe;

namespace Platform.Billing.Stripe;

/// <summary>
/// The Stripe TaxRate for an invoice's tax, made once per (jurisdiction, rate) and reused: Stripe's tax
/// rates cannot change their percentage, and one per invoice would clutter the account. The id is kept
/// in stripe_tax_rates; a run cut short between Stripe's answer and the insert makes it again with the
/// same idempotency key (within Stripe's ~24 h) or, later, a second identical rate, which is harmless.
/// Exclusive rates: our line amounts are net, and Stripe adds the tax per line as we do.
/// </summary>
internal static class StripeTaxRates
{
    /// <summary>The rate to put on each line, or null when the invoice has none (no tax, or Stripe Tax computes it).</summary>
    public static async Task<string?> ForAsync(NpgsqlDataSource dataSource, IStripeClient stripe, InvoiceTax? tax, CancellationToken cancellationToken)
    {
        if (tax is null || tax.Jurisdiction is null || tax.Treatment is not (nameof(TaxTreatment.Standard) or nameof(TaxTreatment.ReverseCharge)))
            return null;
        var reverse = tax.Treatment == nameof(TaxTreatment.ReverseCharge);
        var key = reverse ? $"RC-{tax.Jurisdiction}" : tax.Jurisdiction;
        await using (var read = dataSource.CreateCommand("SELECT stripe_tax_rate_id FROM stripe_tax_rates WHERE jurisdiction = $1 AND rate = $2"))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = key });
            read.Parameters.Add(new NpgsqlParameter { Value = tax.RatePercent });
            if (await read.ExecuteScalarAsync(cancellationToken) is string known)
                return known;
        }
        var country = tax.Jurisdiction[..2];
        var created = await new TaxRateService(stripe).CreateAsync(new TaxRateCreateOptions
        {
            DisplayName = reverse ? "Reverse charge" : TaxIds.IsEu(country) ? "VAT" : country == "US" ? "Sales tax" : "Tax",
            // Without numeric(7,4)'s trailing zeros: 19, not 19.0000.
            Percentage = decimal.Parse(tax.RatePercent.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
                System.Globalization.CultureInfo.InvariantCulture),
            Inclusive = false,
            Country = country,
            State = country == "US" && tax.Jurisdiction.Length > 3 ? tax.Jurisdiction[3..] : null,
            Jurisdiction = tax.Jurisdiction,
            Description = reverse ? TaxRule.ReverseChargeMention : tax.Reason,
        }, new RequestOptions { IdempotencyKey = $"taxrate-{key}-{tax.RatePercent:0.####}" }, cancellationToken);
        await using var store = dataSource.CreateCommand("""
            INSERT INTO stripe_tax_rates (jurisdiction, rate, stripe_tax_rate_id) VALUES ($1, $2, $3)
            ON CONFLICT (jurisdiction, rate) DO UPDATE SET jurisdiction = EXCLUDED.jurisdiction
            RETURNING stripe_tax_rate_id
            """);
        store.Parameters.Add(new NpgsqlParameter { Value = key });
        store.Parameters.Add(new NpgsqlParameter { Value = tax.RatePercent });
        store.Parameters.Add(new NpgsqlParameter { Value = created.Id });
        return (string)(await store.ExecuteScalarAsync(cancellationToken))!;
    }
}
