using Platform.Domain.Billing;

namespace Platform.Billing.Tests.Domain;

public sealed class PeriodPricingTests
{
    private static readonly BillingPeriod June = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Price_UsageWithinIncluded_BillsOnlyTheFee()
    {
        var plan = TestPlans.Starter();
        var lines = PeriodPricing.Price(June, [new PlanInterval(plan, June.Start, June.End, 10 * 3600, 3600)]);
        Assert.Equal(100.00m, PeriodPricing.Total(lines, "USD").Amount);
        Assert.DoesNotContain(lines, l => l.Kind == InvoiceLineKind.Overage);
        Assert.Equal(10 * 3600, lines.Single(l => l.Kind == InvoiceLineKind.IncludedUsage && l.DeviceKind == "cuda").Seconds);
    }

    [Fact]
    public void Price_GpuOverage_BillsSecondsOverIncludedAtHourlyPrice()
    {
        var plan = TestPlans.Starter();
        // 10 h included; 10 h + 1801 s used: 1801 s × $2.50/3600 = $1.2506944 -> $1.25.
        var lines = PeriodPricing.Price(June, [new PlanInterval(plan, June.Start, June.End, 10 * 3600 + 1801, 0)]);
        var overage = lines.Single(l => l.Kind == InvoiceLineKind.Overage);
        Assert.Equal(1801, overage.Seconds);
        Assert.Equal(1.25m, overage.Amount.Amount);
        Assert.Equal(101.25m, PeriodPricing.Total(lines, "USD").Amount);
    }

    [Fact]
    public void Price_OverageAtHalfCent_RoundsUpOncePerLine()
    {
        // 18 s at $0.25/h = $0.00125 -> $0.00; 36 s = $0.0025 -> $0.00; 72 s = $0.005 -> $0.01 (half up).
        Assert.Equal(0.01m, PeriodPricing.OverageAmount(72, 0.25m, "USD").Amount);
        Assert.Equal(0.00m, PeriodPricing.OverageAmount(71, 0.25m, "USD").Amount);
    }

    [Fact]
    public void Price_PlanChangeMidPeriod_ProratesFeeAndIncludedHoursBySeconds()
    {
        var starter = TestPlans.Starter();
        var growth = TestPlans.Growth();
        var change = June.Start.AddDays(10); // 10 of 30 days on Starter, 20 on Growth
        var lines = PeriodPricing.Price(June, [
            new PlanInterval(starter, June.Start, change, 5 * 3600, 0),
            new PlanInterval(growth, change, June.End, 40 * 3600, 0)]);
        var fees = lines.Where(l => l.Kind == InvoiceLineKind.Fee).Select(l => l.Amount.Amount).ToList();
        Assert.Equal([33.33m, 266.67m], fees);
        // Starter's third of 10 h is 3 h 20 min: 5 h used leaves 1 h 40 min (6000 s) over at $2.50/h = $4.17.
        // Growth's two thirds of 50 h is 33 h 20 min: 40 h used leaves 6 h 40 min (24,000 s) over at $2/h = $13.33.
        var overages = lines.Where(l => l.Kind == InvoiceLineKind.Overage).Select(l => (l.Seconds, l.Amount.Amount)).ToList();
        Assert.Equal([(6000L, 4.17m), (24000L, 13.33m)], overages);
        Assert.Equal(317.50m, PeriodPricing.Total(lines, "USD").Amount);
    }

    [Fact]
    public void Price_MixedCurrencies_Throws()
    {
        var usd = TestPlans.Starter();
        var eur = TestPlans.Growth() with { Currency = "EUR" };
        var middle = June.Start.AddDays(3);
        Assert.Throws<InvalidOperationException>(() => PeriodPricing.Price(June,
            [new PlanInterval(usd, June.Start, middle, 0, 0), new PlanInterval(eur, middle, June.End, 0, 0)]));
    }

    [Fact]
    public void Price_TrialOfFourteenDays_WaivesTheFeeButKeepsTheWholeAllowance()
    {
        var plan = TestPlans.Starter();
        var trialEnd = June.Start.AddDays(14);
        // 8 GPU hours during the trial, none after: before, the trial's 14/30 of 10 h (4.67 h) left 3.3 h as overage.
        var lines = PeriodPricing.Price(June, [
            new PlanInterval(plan, June.Start, trialEnd, 8 * 3600, 0, "trial"),
            new PlanInterval(plan, trialEnd, June.End, 0, 0)]);
        Assert.DoesNotContain(lines, l => l.Kind == InvoiceLineKind.Overage);
        var included = lines.Single(l => l.Kind == InvoiceLineKind.IncludedUsage && l.DeviceKind == "cuda");
        Assert.Equal(8 * 3600, included.Seconds);
        Assert.Contains("8 of 10 h", included.Description);
        Assert.Contains("waives the fee, not the hours", included.Description);
        Assert.Equal([0m, 53.33m], lines.Where(l => l.Kind == InvoiceLineKind.Fee).Select(l => l.Amount.Amount));
    }

    [Fact]
    public void Price_SamePlanAssignedAgainMidPeriod_OneAllowance()
    {
        var plan = TestPlans.Starter();
        var again = June.Start.AddDays(10);
        var lines = PeriodPricing.Price(June, [
            new PlanInterval(plan, June.Start, again, 0, 0),
            new PlanInterval(plan, again, June.End, 9 * 3600, 0)]);
        Assert.DoesNotContain(lines, l => l.Kind == InvoiceLineKind.Overage);
        Assert.Equal(100.00m, PeriodPricing.Total(lines, "USD").Amount);
    }

    [Fact]
    public void Price_AdminGrantedExtraHours_AreIncludedNotOverage()
    {
        var plan = TestPlans.Starter();
        var lines = PeriodPricing.Price(June, [new PlanInterval(plan, June.Start, June.End, 14 * 3600, 0)], extraGpuHours: 5m);
        Assert.DoesNotContain(lines, l => l.Kind == InvoiceLineKind.Overage);
        Assert.Equal(14 * 3600, lines.Single(l => l.Kind == InvoiceLineKind.IncludedUsage && l.DeviceKind == "cuda").Seconds);
    }
}
