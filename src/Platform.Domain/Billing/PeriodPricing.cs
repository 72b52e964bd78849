namespace Platform.Domain.Billing;

/// <summary>
/// Prices one billing period (docs/decisions/0010 and 0011). For each interval a plan was in force:
/// the monthly fee and the included hours scale by the interval's share of the period (by the second);
/// usage is compared with that interval's included allowance, and what is over is billed at that
/// plan's overage price. Each line is rounded once; the total is the sum of rounded lines, so the
/// invoice adds up exactly as printed.
/// </summary>
public static class PeriodPricing
{
    public static IReadOnlyList<InvoiceLineDraft> Price(BillingPeriod period, IReadOnlyList<PlanInterval> intervals)
    {
        if (intervals.Count == 0)
            return [];
        var currency = intervals[0].Plan.Currency;
        if (intervals.Any(i => i.Plan.Currency != currency))
            throw new InvalidOperationException("A period cannot mix plan currencies; change currency at a period boundary.");
        var lines = new List<InvoiceLineDraft>();
        var split = intervals.Count > 1;
        foreach (var interval in intervals)
        {
            if (interval.From < period.Start || interval.To > period.End || interval.To <= interval.From)
                throw new ArgumentException("An interval must lie inside the period and be non-empty.", nameof(intervals));
            var seconds = (long)(interval.To - interval.From).TotalSeconds;
            var periodSeconds = (long)period.Length.TotalSeconds;
            var plan = interval.Plan;
            var suffix = split ? $" ({interval.From:yyyy-MM-dd HH:mm} to {interval.To:yyyy-MM-dd HH:mm} UTC)" : "";
            var fee = interval.FeeWaiver is null ? plan.MonthlyFee * seconds / periodSeconds : 0m;
            var waived = interval.FeeWaiver is null ? "" : $" ({interval.FeeWaiver}, waived)";
            lines.Add(new InvoiceLineDraft(InvoiceLineKind.Fee, $"{plan.Name} monthly fee{waived}{suffix}",
                null, seconds, plan.MonthlyFee, new Money(fee, currency).Rounded()));
            foreach (var device in new[] { DeviceClass.Gpu, DeviceClass.Cpu })
            {
                var used = interval.Seconds(device);
                var included = IncludedSeconds(plan.IncludedHours(device), seconds, periodSeconds);
                var covered = Math.Min(used, included);
                var over = used - covered;
                var label = DeviceClass.Label(device);
                if (covered > 0 || plan.IncludedHours(device) > 0)
                {
                    lines.Add(new InvoiceLineDraft(InvoiceLineKind.IncludedUsage,
                        $"{label} time included ({Hours(covered)} of {Hours(included)} h){suffix}", device, covered, 0m,
                        Money.Zero(currency)));
                }
                if (over > 0)
                {
                    lines.Add(new InvoiceLineDraft(InvoiceLineKind.Overage, $"{label} overage ({Hours(over)} h){suffix}", device,
                        over, plan.OveragePerHour(device), OverageAmount(over, plan.OveragePerHour(device), currency)));
                }
            }
        }
        return lines;
    }

    /// <summary>Seconds × hourly price / 3600, rounded once. Decimal keeps it exact until that rounding.</summary>
    public static Money OverageAmount(long seconds, decimal pricePerHour, string currency) =>
        new Money(seconds * pricePerHour / 3600m, currency).Rounded();

    /// <summary>
    /// Included hours scaled by the interval's share of the period, in whole seconds rounded down (a
    /// part second is never given away). Multiplying before dividing keeps a third of 10 h at 12,000 s.
    /// </summary>
    public static long IncludedSeconds(decimal includedHours, long intervalSeconds, long periodSeconds) =>
        (long)decimal.Floor(includedHours * 3600m * intervalSeconds / periodSeconds);

    public static Money Total(IEnumerable<InvoiceLineDraft> lines, string currency) =>
        Money.Sum(lines.Select(l => l.Amount), currency);

    private static string Hours(long seconds) => (seconds / 3600m).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
}
