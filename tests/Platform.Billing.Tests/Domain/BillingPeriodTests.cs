using Platform.Domain.Billing;

namespace Platform.Billing.Tests.Domain;

public sealed class BillingPeriodTests
{
    [Fact]
    public void Containing_AnchorOn31st_TilesMonthsWithoutGaps()
    {
        var anchor = new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero);
        var february = BillingPeriod.Containing(anchor, new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 12, 0, 0, TimeSpan.Zero), february.Start);
        Assert.Equal(new DateTimeOffset(2026, 3, 31, 12, 0, 0, TimeSpan.Zero), february.End);
        Assert.Equal(february.End, february.Next(anchor).Start);
    }

    [Fact]
    public void Containing_InstantAtPeriodEnd_IsInTheNextPeriod()
    {
        var anchor = new DateTimeOffset(2026, 5, 10, 0, 0, 0, TimeSpan.Zero);
        var period = BillingPeriod.Containing(anchor, new DateTimeOffset(2026, 6, 10, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 6, 10, 0, 0, 0, TimeSpan.Zero), period.Start);
    }

    [Fact]
    public void Split_ChangeInsidePeriod_GivesTwoIntervals()
    {
        var period = new BillingPeriod(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero));
        var starter = TestPlans.Starter();
        var growth = TestPlans.Growth();
        var intervals = ProrationRule.Split(period, [(period.Start.AddDays(-40), starter), (period.Start.AddDays(12), growth)]);
        Assert.Equal([(starter, period.Start, period.Start.AddDays(12)), (growth, period.Start.AddDays(12), period.End)], intervals);
    }

    [Fact]
    public void Decide_EstimateExactlyFillsQuota_IsAllowed()
    {
        Assert.Equal(QuotaVerdict.Allowed, QuotaRules.Decide(10m, 9m, 1m, CapMode.Hard).Verdict);
        Assert.Equal(QuotaVerdict.Refused, QuotaRules.Decide(10m, 9m, 1.000001m, CapMode.Hard).Verdict);
        Assert.Equal(QuotaVerdict.AllowedWithOverage, QuotaRules.Decide(10m, 9m, 1.000001m, CapMode.Soft).Verdict);
    }
}
