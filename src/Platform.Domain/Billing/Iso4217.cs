using System.Collections.Frozen;

namespace Platform.Domain.Billing;

/// <summary>
/// The ISO 4217 currencies an invoice can be in, with their minor units (the digits after the decimal
/// point), from the list the ISO 4217 maintenance agency publishes (list one, 2025). Codes without a
/// minor unit there (gold XAU, the SDR XDR, the test code XTS, "no currency" XXX and the like) are not
/// currencies an invoice can be in and are left out.
/// </summary>
public static class Iso4217
{
    private static readonly FrozenDictionary<string, int> MinorUnits = Build();

    public static bool IsKnown(string code) => MinorUnits.ContainsKey(code);

    /// <summary>The currency's minor unit; throws for a code that is not in the list.</summary>
    public static int MinorDigits(string code) => MinorUnits.TryGetValue(code, out var digits)
        ? digits
        : throw new ArgumentException($"'{code}' is not an ISO 4217 currency.", nameof(code));

    private static FrozenDictionary<string, int> Build()
    {
        var codes = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(int digits, string list)
        {
            foreach (var code in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                codes.Add(code, digits);
        }
        Add(0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF");
        Add(3, "BHD IQD JOD KWD LYD OMR TND");
        Add(4, "CLF UYW");
        Add(2, """
            AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW
            CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR
            ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV
            MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD
            SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
            """.Replace('\n', ' '));
        return codes.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
