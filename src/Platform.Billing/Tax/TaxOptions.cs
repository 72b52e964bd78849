using System.ComponentModel.DataAnnotations;
using Platform.Domain.Billing.Tax;

namespace Platform.Billing.Tax;

/// <summary>
/// Section "Billing:Seller": the seller's legal details printed on every invoice and credit note. With
/// no <see cref="Country"/> the platform charges no tax (invoices say nothing about it), as before.
/// </summary>
public sealed class SellerOptions : IValidatableObject
{
    public const string SectionName = "Billing:Seller";

    /// <summary>The registered company name; Billing:SellerName (the brand) when empty.</summary>
    [MaxLength(200)]
    public string? LegalName { get; set; }

    /// <summary>The postal address, lines separated by newlines or "; ".</summary>
    [MaxLength(500)]
    public string? Address { get; set; }

    /// <summary>ISO 3166-1 alpha-2 (DE, FR, US, ...): where the seller is established, which decides the tax rule.</summary>
    [MaxLength(2)]
    public string? Country { get; set; }

    /// <summary>The seller's VAT or tax id, printed as given.</summary>
    [MaxLength(32)]
    public string? TaxId { get; set; }

    /// <summary>Company registration (register, court, number), printed as given.</summary>
    [MaxLength(200)]
    public string? Registration { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(Country) && !Countries.IsKnown(Country))
            yield return new ValidationResult($"Billing:Seller:Country '{Country}' is not an ISO 3166-1 alpha-2 code (e.g. DE, FR, US).");
    }

    /// <summary>The lines printed as the seller block, the legal name first.</summary>
    public IReadOnlyList<string> Lines(string brand)
    {
        var lines = new List<string> { string.IsNullOrWhiteSpace(LegalName) ? brand : LegalName.Trim() };
        if (!string.IsNullOrWhiteSpace(Address))
            lines.AddRange(Address.Split(['\n', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (!string.IsNullOrWhiteSpace(Country))
            lines.Add(Country);
        if (!string.IsNullOrWhiteSpace(TaxId))
            lines.Add($"VAT/Tax id: {TaxId.Trim()}");
        if (!string.IsNullOrWhiteSpace(Registration))
            lines.Add(Registration.Trim());
        return lines;
    }
}

/// <summary>
/// Section "Billing:Tax": rates in percent by jurisdiction ("DE": 19, "FR": 20, "US-CA": 7.25, "US": 0
/// as every other state's), whether EU consumers pay their own country's rate (true, the OSS rule for
/// electronic services) or the seller's, and whether Stripe Tax computes US sales tax (needs Stripe Tax
/// on the Stripe account). Read at each close; an issued invoice keeps the rate it was issued with.
/// </summary>
public sealed class TaxOptions : IValidatableObject
{
    public const string SectionName = "Billing:Tax";

    public Dictionary<string, decimal> Rates { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public bool EuConsumersAtBuyerRate { get; set; } = true;

    public bool StripeTaxForUs { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (key, rate) in Rates)
        {
            var country = key.Length >= 2 ? key[..2].ToUpperInvariant() : key;
            if (!Countries.IsKnown(country) || (key.Length != 2 && !(key.Length is > 3 and <= 8 && key[2] == '-')))
                yield return new ValidationResult($"Billing:Tax:Rates:{key}: a jurisdiction is a country code (DE) or country-region (US-CA).");
            if (rate is < 0 or > 100 || decimal.Round(rate, 4) != rate)
                yield return new ValidationResult($"Billing:Tax:Rates:{key} = {rate}: a rate is a percentage from 0 to 100 with at most 4 decimals.");
        }
    }

    public TaxSettings Settings(string? sellerCountry) => new(string.IsNullOrEmpty(sellerCountry) ? null : sellerCountry,
        Rates.ToDictionary(r => r.Key.ToUpperInvariant(), r => r.Value, StringComparer.Ordinal), EuConsumersAtBuyerRate, StripeTaxForUs);
}
