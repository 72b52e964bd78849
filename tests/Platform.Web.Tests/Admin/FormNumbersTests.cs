using Platform.Web.Components.Shared;

namespace Platform.Web.Tests.Admin;

public sealed class FormNumbersTests
{
    [Theory]
    [InlineData("49", 49)]
    [InlineData(" 1,249.99 ", 1249.99)]
    [InlineData("-2.50", -2.5)]
    [InlineData("0.000125", 0.000125)]
    [InlineData("1,000,000", 1000000)]
    public void TryDecimal_DotDecimalsAndGroupedThousands_AreRead(string text, double expected)
    {
        Assert.True(FormNumbers.TryDecimal(text, out var value));
        Assert.Equal((decimal)expected, value);
    }

    [Theory]
    [InlineData("12,5")]
    [InlineData("1,2345")]
    [InlineData("1.5e3")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("ten")]
    [InlineData("4.")]
    public void TryDecimal_AmbiguousOrNotANumber_IsRefused(string? text)
    {
        Assert.False(FormNumbers.TryDecimal(text, out _));
    }

    [Theory]
    [InlineData("3", true, 3)]
    [InlineData("10,000", true, 10000)]
    [InlineData("2.5", false, 0)]
    [InlineData("99999999999", false, 0)]
    public void TryInt_WholeNumbersOnly(string text, bool ok, int expected)
    {
        Assert.Equal(ok, FormNumbers.TryInt(text, out var value));
        Assert.Equal(expected, value);
    }
}
