using Platform.Billing.Stripe;
using Platform.Domain.Billing;

namespace Platform.Billing.Tests.Domain;

/// <summary>ISO 4217 minor units (the list published by the ISO 4217 maintenance agency), and Stripe's amounts in them.</summary>
public sealed class CurrencyTests
{
    private static readonly string[] ZeroDecimal =
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"];

    private static readonly string[] ThreeDecimal = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

    private static readonly string[] FourDecimal = ["CLF", "UYW"];

    private static readonly string[] TwoDecimal =
    [
        "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD", "BND", "BOB", "BOV", "BRL",
        "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK",
        "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG",
        "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD",
        "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK",
        "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
        "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
        "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
    ];

    public static TheoryData<string, int> Every()
    {
        var data = new TheoryData<string, int>();
        foreach (var (codes, digits) in new[] { (ZeroDecimal, 0), (TwoDecimal, 2), (ThreeDecimal, 3), (FourDecimal, 4) })
            foreach (var code in codes)
                data.Add(code, digits);
        return data;
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void MinorDigits_EveryIso4217Currency_IsItsMinorUnit(string code, int digits)
    {
        Assert.Equal(digits, Money.MinorDigits(code));
        var smallest = 1m / (decimal)Math.Pow(10, digits);
        Assert.Equal(smallest, new Money(smallest, code).Rounded().Amount);
    }

    [Theory]
    [InlineData("ABC")]
    [InlineData("XAU")] // gold: an ISO code, but no currency an invoice can be in
    [InlineData("XXX")]
    public void Constructor_CodeThatIsNoCurrency_Throws(string code)
    {
        Assert.Throws<ArgumentException>(() => new Money(1, code));
    }

    [Theory]
    [InlineData("XOF", "5000", 5000)]
    [InlineData("UGX", "12000", 12000)]
    [InlineData("PYG", "70000", 70000)]
    [InlineData("KWD", "12.340", 12340)]
    [InlineData("BHD", "0.5", 500)]
    [InlineData("JOD", "7.25", 7250)]
    [InlineData("OMR", "1.1", 1100)]
    [InlineData("TND", "3.010", 3010)]
    [InlineData("USD", "105.5", 10550)]
    [InlineData("JPY", "980", 980)]
    // Stripe keeps ISK in two decimals (amounts divisible by 100) and MGA without decimals.
    [InlineData("ISK", "1500", 150000)]
    [InlineData("MGA", "4000", 4000)]
    public void StripeAmount_Currency_InStripesSmallestUnit(string currency, string amount, long expected)
    {
        Assert.Equal(expected, StripeAmounts.ToStripe(new Money(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), currency)));
    }

    [Theory]
    [InlineData("KWD", "12.345")] // Stripe takes three-decimal amounts only with a last digit of 0
    [InlineData("MGA", "10.50")]
    public void StripeAmount_NotRepresentableAtStripe_Throws(string currency, string amount)
    {
        Assert.Throws<InvalidOperationException>(() =>
            StripeAmounts.ToStripe(new Money(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), currency)));
    }
}
