using Platform.Domain.Billing;

namespace Platform.Billing.Tests.Domain;

public sealed class PlanValidationTests
{
    [Fact]
    public void FieldErrors_ValidPlan_None()
    {
        Assert.Empty(TestPlans.Starter().FieldErrors());
        Assert.Null(TestPlans.Starter().Validate());
    }

    [Fact]
    public void FieldErrors_SeveralBrokenFields_NamesEachField()
    {
        var plan = TestPlans.Starter() with
        {
            Name = " ", Currency = "usd", MonthlyFee = -1m, GpuOveragePerHour = -0.5m, MaxConcurrentJobs = -1,
            StripePriceId = "price 1",
        };

        var errors = plan.FieldErrors().ToDictionary(e => e.Field, e => e.Message);

        Assert.Equal(["Name", "Currency", "MonthlyFee", "GpuOveragePerHour", "MaxConcurrentJobs", "StripePriceId"], errors.Keys);
        Assert.Equal("The monthly fee cannot be negative.", errors["MonthlyFee"]);
        Assert.Equal("The GPU overage price cannot be negative.", errors["GpuOveragePerHour"]);
        Assert.Equal("A plan needs a name.", plan.Validate());
    }

    [Theory]
    [InlineData(1_000_000_001, "The monthly fee is at most 1,000,000,000.")]
    [InlineData(9.99999, "The monthly fee has at most 4 decimal places.")]
    public void FieldErrors_FeeTheColumnCannotHold_IsRefused(decimal fee, string message)
    {
        var errors = (TestPlans.Starter() with { MonthlyFee = fee }).FieldErrors();

        Assert.Equal([("MonthlyFee", message)], errors);
    }

    [Fact]
    public void FieldErrors_PricePerHourWithSixDecimals_IsAccepted()
    {
        Assert.Empty((TestPlans.Starter() with { CpuOveragePerHour = 0.000125m }).FieldErrors());
        Assert.Single((TestPlans.Starter() with { CpuOveragePerHour = 0.0000125m }).FieldErrors());
    }
}
