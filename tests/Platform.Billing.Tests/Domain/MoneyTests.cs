using Platform.Domain.Billing;

namespace Platform.Billing.Tests.Domain;

public sealed class MoneyTests
{
    [Fact]
    public void Rounded_Midpoint_RoundsHalfAwayFromZero()
    {
        Assert.Equal(0.13m, new Money(0.125m, "USD").Rounded().Amount);
        Assert.Equal(-0.13m, new Money(-0.125m, "USD").Rounded().Amount);
        Assert.Equal(0.12m, new Money(0.1249m, "USD").Rounded().Amount);
    }

    [Fact]
    public void Rounded_ZeroDecimalCurrency_RoundsToWholeUnits()
    {
        Assert.Equal(101m, new Money(100.5m, "JPY").Rounded().Amount);
    }

    [Fact]
    public void Add_DifferentCurrencies_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => new Money(1, "USD") + new Money(1, "EUR"));
    }

    [Fact]
    public void Sum_TenthsTenTimes_IsExactlyOne()
    {
        var total = Money.Sum(Enumerable.Repeat(new Money(0.1m, "USD"), 10), "USD");
        Assert.Equal(1.00m, total.Amount);
    }

    [Fact]
    public void MinorUnits_UnroundedAmount_Throws()
    {
        Assert.Equal(1234, new Money(12.34m, "USD").MinorUnits());
        Assert.Throws<InvalidOperationException>(() => new Money(12.345m, "USD").MinorUnits());
    }

    [Fact]
    public void Constructor_LowerCaseCurrency_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Money(1, "usd"));
    }
}
