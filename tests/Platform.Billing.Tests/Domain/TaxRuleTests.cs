using Platform.Domain.Billing;
using Platform.Domain.Billing.Tax;

namespace Platform.Billing.Tests.Domain;

/// <summary>The tax rule per buyer (decision 0030) and tax ids by format.</summary>
public sealed class TaxRuleTests
{
    private static readonly Dictionary<string, decimal> Rates = new() { ["DE"] = 19m, ["FR"] = 20m, ["US-CA"] = 7.25m, ["US"] = 0m };
    private static readonly TaxSettings German = new("DE", Rates);

    [Fact]
    public void Decide_NoSellerCountry_NoTaxAndNothingPrinted()
    {
        Assert.Equal(TaxDecision.NotConfigured, TaxRule.Decide(new TaxSettings(null, Rates), "FR", null, "FR40303265045"));
    }

    [Fact]
    public void Decide_DomesticBuyer_SellerCountryRate()
    {
        var decision = TaxRule.Decide(German, "DE", null, "DE136695976");
        Assert.Equal((TaxTreatment.Standard, 19m, "DE"), (decision.Treatment, decision.RatePercent, decision.Jurisdiction));
        Assert.Equal("VAT DE 19 %", decision.Reason);
    }

    [Fact]
    public void Decide_BuyerWithoutCountry_TaxedAsDomestic()
    {
        Assert.Equal(19m, TaxRule.Decide(German, null, null, null).RatePercent);
    }

    [Fact]
    public void Decide_EuBusinessInAnotherMemberState_ReverseChargeWithTheLegalMention()
    {
        var decision = TaxRule.Decide(German, "FR", null, "FR40303265045");
        Assert.Equal((TaxTreatment.ReverseCharge, 0m, "FR"), (decision.Treatment, decision.RatePercent, decision.Jurisdiction));
        Assert.Contains("Article 196", decision.Reason);
    }

    [Fact]
    public void Decide_EuConsumerInAnotherMemberState_BuyerCountryRateOrSellersAsConfigured()
    {
        Assert.Equal((TaxTreatment.Standard, 20m), Pick(TaxRule.Decide(German, "FR", null, null)));
        Assert.Equal((TaxTreatment.Standard, 19m), Pick(TaxRule.Decide(German with { EuConsumersAtBuyerRate = false }, "FR", null, null)));
    }

    [Fact]
    public void Decide_EuConsumerInACountryWithoutARate_ZeroWithAReasonThatSaysSo()
    {
        var decision = TaxRule.Decide(German, "IT", null, null);
        Assert.Equal((TaxTreatment.Standard, 0m), Pick(decision));
        Assert.Contains("No VAT rate is configured for IT (Billing:Tax:Rates:IT)", decision.Reason);
    }

    [Fact]
    public void Decide_UsBuyer_StateRateThenCountryFallbackThenStripeTax()
    {
        Assert.Equal("US-CA", TaxRule.Decide(German, "US", "CA", null).Jurisdiction);
        Assert.Equal(7.25m, TaxRule.Decide(German, "US", "ca", null).RatePercent);
        Assert.Equal(("US", 0m), (TaxRule.Decide(German, "US", "OR", null).Jurisdiction, TaxRule.Decide(German, "US", "OR", null).RatePercent));
        Assert.Equal(TaxTreatment.StripeTax, TaxRule.Decide(German with { StripeTaxForUs = true }, "US", "CA", null).Treatment);
        // A US seller's US customers are taxed the same way.
        Assert.Equal(7.25m, TaxRule.Decide(new TaxSettings("US", Rates), "US", "CA", null).RatePercent);
    }

    [Fact]
    public void Decide_OutsideTheEuAndUs_NoTaxWithTheReason()
    {
        var decision = TaxRule.Decide(German, "JP", null, "1234567890123");
        Assert.Equal((TaxTreatment.None, 0m), Pick(decision));
        Assert.Contains("Article 44", decision.Reason);
        Assert.Equal(TaxTreatment.None, TaxRule.Decide(new TaxSettings("US", Rates), "DE", null, null).Treatment);
    }

    [Theory]
    [InlineData("0.05", "19", "0.01")] // 0.0095 -> 0.01
    [InlineData("0.02", "19", "0.00")] // 0.0038 -> 0.00
    [InlineData("2.50", "7.25", "0.18")] // 0.18125 -> 0.18
    [InlineData("3.00", "7.25", "0.22")] // 0.2175 -> 0.22
    [InlineData("-1.50", "19", "-0.29")] // -0.285 -> -0.29, half away from zero
    public void TaxOn_RoundsEachLineOnceHalfAwayFromZero(string net, string rate, string tax)
    {
        Assert.Equal(decimal.Parse(tax, System.Globalization.CultureInfo.InvariantCulture),
            TaxRule.TaxOn(new Money(decimal.Parse(net, System.Globalization.CultureInfo.InvariantCulture), "EUR"),
                decimal.Parse(rate, System.Globalization.CultureInfo.InvariantCulture)).Amount);
    }

    [Fact]
    public void TaxOn_ZeroDecimalCurrency_RoundsToWholeUnits()
    {
        Assert.Equal(95m, TaxRule.TaxOn(new Money(1000m, "JPY"), 9.5m).Amount);
        Assert.Equal(1m, TaxRule.TaxOn(new Money(5m, "JPY"), 10m).Amount); // 0.5 -> 1
    }

    [Fact]
    public void TaxShare_CreditNote_CarriesTheInvoicesProportionOfTax()
    {
        // 119.00 invoice of which 19.00 VAT: a 59.50 credit gives back 9.50 VAT.
        Assert.Equal(9.50m, TaxRule.TaxShare(new Money(59.50m, "EUR"), 19m, 119m).Amount);
        Assert.Equal(0m, TaxRule.TaxShare(new Money(59.50m, "EUR"), 0m, 100m).Amount);
    }

    [Theory]
    [InlineData("DE", "DE 136 695 976", "DE136695976")]
    [InlineData("DE", "136695976", "DE136695976")]
    [InlineData("GR", "EL094259216", "EL094259216")]
    [InlineData("FR", "FR40303265045", "FR40303265045")]
    [InlineData("NL", "NL.8008.90.551.B01", "NL800890551B01")]
    [InlineData("AT", "ATU12345678", "ATU12345678")]
    [InlineData("GB", "GB 123 4567 89", "GB123456789")]
    [InlineData("US", "12-3456789", "123456789")]
    [InlineData("JP", "T1234567890123", "T1234567890123")]
    public void Normalize_ValidIds_CanonicalForm(string country, string given, string expected)
    {
        Assert.Equal((expected, null), TaxIds.Normalize(country, given));
    }

    [Theory]
    [InlineData("DE", "DE12345678")] // eight digits, Germany has nine
    [InlineData("DE", "FR40303265045")] // another member state's prefix
    [InlineData("GR", "GR094259216")] // Greece's prefix is EL
    [InlineData("AT", "AT12345678")] // Austria's start with U
    [InlineData("NL", "NL800890551A01")]
    [InlineData("US", "12-345678")]
    [InlineData("JP", "<script>")]
    public void Normalize_MalformedIds_ErrorNamingTheForm(string country, string given)
    {
        var (normalized, error) = TaxIds.Normalize(country, given);
        Assert.Null(normalized);
        Assert.False(string.IsNullOrEmpty(error));
    }

    private static (TaxTreatment, decimal) Pick(TaxDecision decision) => (decision.Treatment, decision.RatePercent);
}
