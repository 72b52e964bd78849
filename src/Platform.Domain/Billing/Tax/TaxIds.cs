using System.Text.RegularExpressions;

namespace Platform.Domain.Billing.Tax;

/// <summary>
/// Tax identification numbers by format: EU VAT ids (the country prefix, Greece's EL included, then the
/// member state's pattern), the UK, Switzerland, Norway, Australia, Canada and the US EIN. A format check
/// only: whether the number is registered (VIES) needs a network call this platform does not make, so an
/// operator who must know checks it by hand. Spaces, dots and dashes are removed before checking, except
/// where the format needs them.
/// </summary>
public static partial class TaxIds
{
    /// <summary>EU member states (ISO 3166 alpha-2) and the VAT prefix each uses.</summary>
    public static readonly IReadOnlyDictionary<string, string> EuVatPrefix = new Dictionary<string, string>
    {
        ["AT"] = "AT", ["BE"] = "BE", ["BG"] = "BG", ["CY"] = "CY", ["CZ"] = "CZ", ["DE"] = "DE", ["DK"] = "DK", ["EE"] = "EE",
        ["ES"] = "ES", ["FI"] = "FI", ["FR"] = "FR", ["GR"] = "EL", ["HR"] = "HR", ["HU"] = "HU", ["IE"] = "IE", ["IT"] = "IT",
        ["LT"] = "LT", ["LU"] = "LU", ["LV"] = "LV", ["MT"] = "MT", ["NL"] = "NL", ["PL"] = "PL", ["PT"] = "PT", ["RO"] = "RO",
        ["SE"] = "SE", ["SI"] = "SI", ["SK"] = "SK",
    };

    // The part after the prefix, per member state (European Commission, VIES "VAT number validation" formats).
    private static readonly IReadOnlyDictionary<string, Regex> EuVatBody = new Dictionary<string, Regex>
    {
        ["AT"] = Body(@"U\d{8}"), ["BE"] = Body(@"[01]\d{9}"), ["BG"] = Body(@"\d{9,10}"), ["CY"] = Body(@"\d{8}[A-Z]"),
        ["CZ"] = Body(@"\d{8,10}"), ["DE"] = Body(@"\d{9}"), ["DK"] = Body(@"\d{8}"), ["EE"] = Body(@"\d{9}"),
        ["ES"] = Body(@"[A-Z0-9]\d{7}[A-Z0-9]"), ["FI"] = Body(@"\d{8}"), ["FR"] = Body(@"[A-HJ-NP-Z0-9]{2}\d{9}"),
        ["GR"] = Body(@"\d{9}"), ["HR"] = Body(@"\d{11}"), ["HU"] = Body(@"\d{8}"), ["IE"] = Body(@"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]"),
        ["IT"] = Body(@"\d{11}"), ["LT"] = Body(@"\d{9}|\d{12}"), ["LU"] = Body(@"\d{8}"), ["LV"] = Body(@"\d{11}"),
        ["MT"] = Body(@"\d{8}"), ["NL"] = Body(@"\d{9}B\d{2}"), ["PL"] = Body(@"\d{10}"), ["PT"] = Body(@"\d{9}"),
        ["RO"] = Body(@"[1-9]\d{1,9}"), ["SE"] = Body(@"\d{10}01"), ["SI"] = Body(@"\d{8}"), ["SK"] = Body(@"\d{10}"),
    };

    private static readonly IReadOnlyDictionary<string, Regex> Others = new Dictionary<string, Regex>
    {
        ["GB"] = Body(@"GB(\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2})"),
        ["CH"] = Body(@"CHE\d{9}(MWST|TVA|IVA)?"),
        ["NO"] = Body(@"(NO)?\d{9}(MVA)?"),
        ["AU"] = Body(@"\d{11}"),
        ["CA"] = Body(@"\d{9}(RT\d{4})?"),
        ["US"] = Body(@"\d{9}"),
    };

    private static Regex Body(string pattern) => new($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public static bool IsEu(string? country) => country is not null && EuVatPrefix.ContainsKey(country);

    /// <summary>
    /// The id in its canonical form (capitals, no separators; EU ids with their prefix) or an error
    /// naming the expected form. Countries without a known format take 4 to 20 letters and digits.
    /// </summary>
    public static (string? Normalized, string? Error) Normalize(string country, string taxId)
    {
        var compact = Separators().Replace(taxId.Trim().ToUpperInvariant(), "");
        if (compact.Length is 0 or > 32)
            return (null, "The tax id is empty or longer than 32 characters.");
        if (EuVatPrefix.TryGetValue(country, out var prefix))
        {
            if (!compact.StartsWith(prefix, StringComparison.Ordinal))
            {
                // A bare number is accepted and given its prefix; another member state's prefix is not.
                if (compact.Length > 2 && EuVatPrefix.Values.Contains(compact[..2]))
                    return (null, $"A VAT id of {country} starts with {prefix}, not {compact[..2]}.");
                compact = prefix + compact;
            }
            return EuVatBody[country].IsMatch(compact[2..])
                ? (compact, null)
                : (null, $"'{taxId.Trim()}' is not in the format of a {country} VAT id ({prefix} followed by the national number).");
        }
        if (Others.TryGetValue(country, out var pattern))
            return pattern.IsMatch(compact) ? (compact, null) : (null, $"'{taxId.Trim()}' is not in the format of a {country} tax id.");
        return AnyId().IsMatch(compact) ? (compact, null) : (null, "A tax id has 4 to 20 letters and digits.");
    }

    [GeneratedRegex(@"[\s.\-/]")]
    private static partial Regex Separators();

    [GeneratedRegex("^[A-Z0-9]{4,20}$")]
    private static partial Regex AnyId();
}
