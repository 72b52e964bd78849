using System.Globalization;

namespace Platform.Domain.Billing.Tax;

public enum TaxTreatment
{
    /// <summary>No tax on the invoice: tax is not configured, or the supply is outside the seller's tax.</summary>
    None,

    /// <summary>A rate from the configuration, applied to each line.</summary>
    Standard,

    /// <summary>EU business buyer in another member state: 0 %, the buyer accounts for the VAT.</summary>
    ReverseCharge,

    /// <summary>US sales tax computed by Stripe Tax on the Stripe invoice (automatic_tax).</summary>
    StripeTax,
}

/// <summary>What a tenant's invoices are taxed at, and the sentence the invoice prints for it.</summary>
public sealed record TaxDecision(TaxTreatment Treatment, decimal RatePercent, string? Jurisdiction, string Reason)
{
    public static readonly TaxDecision NotConfigured = new(TaxTreatment.None, 0m, null, "");
}

/// <summary>
/// The seller's side of the rule: its country, the configured rates by jurisdiction ("DE", "US-CA",
/// "US" as the fallback for any state) in percent, whether EU consumers pay their own country's rate
/// (the One-Stop-Shop rule for electronic services since 2021) or the seller's, and whether US sales
/// tax is left to Stripe Tax.
/// </summary>
public sealed record TaxSettings(string? SellerCountry, IReadOnlyDictionary<string, decimal> Rates, bool EuConsumersAtBuyerRate = true,
    bool StripeTaxForUs = false);

/// <summary>
/// Picks the tax of an invoice from the seller's and the buyer's country and the buyer's tax id
/// (docs/decisions/0030). A buyer without a country is taxed as a domestic one: tax is never left out
/// because details are missing. A jurisdiction the rule needs without a configured rate is taxed at 0 %
/// with a reason that says so, so finance sees the gap on the invoice rather than a silent zero.
/// </summary>
public static class TaxRule
{
    public const string ReverseChargeMention =
        "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).";

    public static TaxDecision Decide(TaxSettings settings, string? buyerCountry, string? buyerRegion, string? buyerTaxId)
    {
        if (settings.SellerCountry is not { } seller)
            return TaxDecision.NotConfigured;
        var buyer = string.IsNullOrEmpty(buyerCountry) ? seller : buyerCountry;
        var hasTaxId = !string.IsNullOrWhiteSpace(buyerTaxId);
        if (buyer == "US")
        {
            if (settings.StripeTaxForUs)
                return new(TaxTreatment.StripeTax, 0m, "US", "US sales tax is calculated by Stripe Tax on the Stripe invoice.");
            var state = string.IsNullOrWhiteSpace(buyerRegion) ? null : $"US-{buyerRegion.Trim().ToUpperInvariant()}";
            if (state is not null && settings.Rates.ContainsKey(state))
                return Rate(settings, state, "Sales tax");
            return settings.Rates.ContainsKey("US") ? Rate(settings, "US", "Sales tax") : Missing(state ?? "US", "sales tax");
        }
        if (TaxIds.IsEu(seller))
        {
            if (buyer == seller)
                return Rate(settings, seller, "VAT");
            if (TaxIds.IsEu(buyer))
            {
                return hasTaxId
                    ? new(TaxTreatment.ReverseCharge, 0m, buyer, ReverseChargeMention)
                    : Rate(settings, settings.EuConsumersAtBuyerRate ? buyer : seller, "VAT");
            }
            return new(TaxTreatment.None, 0m, null,
                $"Not subject to {seller} VAT: services to a customer outside the EU (Article 44, Council Directive 2006/112/EC).");
        }
        if (buyer == seller)
            return settings.Rates.ContainsKey(seller) ? Rate(settings, seller, "Tax") : new(TaxTreatment.None, 0m, null, "");
        return new(TaxTreatment.None, 0m, null, $"No {seller} tax: services supplied to a customer in {buyer}.");
    }

    /// <summary>The tax on one line: its net amount times the rate, rounded once to the minor unit (half away from zero).</summary>
    public static Money TaxOn(Money net, decimal ratePercent) => (net * (ratePercent / 100m)).Rounded();

    /// <summary>The part of a credit of <paramref name="gross"/> that is tax, in the invoice's proportion of tax to total.</summary>
    public static Money TaxShare(Money gross, decimal invoiceTax, decimal invoiceTotal) =>
        invoiceTotal == 0m || invoiceTax == 0m ? Money.Zero(gross.Currency) : (gross * (invoiceTax / invoiceTotal)).Rounded();

    private static TaxDecision Rate(TaxSettings settings, string jurisdiction, string name)
    {
        if (!settings.Rates.TryGetValue(jurisdiction, out var rate))
            return Missing(jurisdiction, name == "Sales tax" ? "sales tax" : name);
        return new(TaxTreatment.Standard, rate, jurisdiction, $"{name} {jurisdiction} {rate.ToString("0.####", CultureInfo.InvariantCulture)} %");
    }

    private static TaxDecision Missing(string jurisdiction, string name) =>
        new(TaxTreatment.Standard, 0m, jurisdiction, $"No {name} rate is configured for {jurisdiction} (Billing:Tax:Rates:{jurisdiction}); taxed at 0 %.");
}
