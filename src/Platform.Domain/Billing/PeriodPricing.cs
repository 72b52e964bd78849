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
    /// <summary>
    /// Prices the period. Fees: one line per interval, prorated by the second, waived for a trial's part
    /// and after cancellation. Included hours follow the plan, not the fee: consecutive intervals of the
    /// same plan (a trial and its paid part, the part after a cancellation, the same plan assigned again)
    /// share one allowance for their whole span, as Stripe treats metered usage; only a change to another
    /// plan splits the allowance by the second. An admin's extra hours (quota override, not prorated) add
    /// to the allowance of the plan in force at the period's end, as the launch check adds them.
    /// </summary>
    public static IReadOnlyList<InvoiceLineDraft> Price(BillingPeriod period, IReadOnlyList<PlanInterval> intervals,
        decimal extraGpuHours = 0, decimal extraCpuHours = 0)
    {
        if (intervals.Count == 0)
            return [];
        var currency = intervals[0].Plan.Currency;
        if (intervals.Any(i => i.Plan.Currency != currency))
            throw new InvalidOperationException("A period cannot mix plan currencies; change currency at a period boundary.");
        var lines = new List<InvoiceLineDraft>();
        var periodSeconds = (long)period.Length.TotalSeconds;
        foreach (var interval in intervals)
        {
            if (interval.From < period.Start || interval.To > period.End || interval.To <= interval.From)
                throw new ArgumentException("An interval must lie inside the period and be non-empty.", nameof(intervals));
            var seconds = (long)(interval.To - interval.From).TotalSeconds;
            var plan = interval.Plan;
            var suffix = intervals.Count > 1 ? Span(interval.From, interval.To) : "";
            var fee = interval.FeeWaiver is null ? plan.MonthlyFee * seconds / periodSeconds : 0m;
            var waived = interval.FeeWaiver is null ? "" : $" ({interval.FeeWaiver}, waived)";
            lines.Add(new InvoiceLineDraft(InvoiceLineKind.Fee, $"{plan.Name} monthly fee{waived}{suffix}",
                null, seconds, plan.MonthlyFee, new Money(fee, currency).Rounded()));
        }
        var groups = AllowanceGroups(intervals);
        for (var g = 0; g < groups.Count; g++)
        {
            var (plan, from, to, members) = groups[g];
            var seconds = (long)(to - from).TotalSeconds;
            var last = g == groups.Count - 1;
            var suffix = groups.Count > 1 ? Span(from, to) : "";
            var rule = members.Count > 1 ? "; the trial or cancellation waives the fee, not the hours" : "";
            foreach (var device in new[] { DeviceClass.Gpu, DeviceClass.Cpu })
            {
                var used = members.Sum(m => m.Seconds(device));
                var extra = last ? (device == DeviceClass.Gpu ? extraGpuHours : extraCpuHours) : 0m;
                var included = IncludedSeconds(plan.IncludedHours(device), seconds, periodSeconds) + (long)decimal.Floor(extra * 3600m);
                var covered = Math.Min(used, included);
                var over = used - covered;
                var label = DeviceClass.Label(device);
                var extraNote = extra > 0 ? $", {Hours((long)decimal.Floor(extra * 3600m))} h of them granted by an admin" : "";
                if (covered > 0 || included > 0)
                {
                    lines.Add(new InvoiceLineDraft(InvoiceLineKind.IncludedUsage,
                        $"{label} time included ({Hours(covered)} of {Hours(included)} h{extraNote}{rule}){suffix}", device, covered, 0m,
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

    /// <summary>Consecutive intervals of one plan, merged: each shares one allowance over its whole span.</summary>
    public static IReadOnlyList<(Plan Plan, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<PlanInterval> Members)> AllowanceGroups(
        IReadOnlyList<PlanInterval> intervals)
    {
        var groups = new List<(Plan, DateTimeOffset, DateTimeOffset, IReadOnlyList<PlanInterval>)>();
        var members = new List<PlanInterval>();
        foreach (var interval in intervals)
        {
            if (members.Count > 0 && (members[^1].Plan.Id != interval.Plan.Id || members[^1].To != interval.From))
            {
                groups.Add((members[0].Plan, members[0].From, members[^1].To, members));
                members = [];
            }
            members.Add(interval);
        }
        if (members.Count > 0)
            groups.Add((members[0].Plan, members[0].From, members[^1].To, members));
        return groups;
    }

    /// <summary>
    /// The included hours of the allowance group that holds <paramref name="instant"/> (what the launch check
    /// compares usage since that group's start with), the admin's extra hours included: the invoice's figure.
    /// </summary>
    public static (decimal IncludedHours, DateTimeOffset Since) AllowanceAt(BillingPeriod period, IReadOnlyList<PlanInterval> intervals,
        DateTimeOffset instant, string device, decimal extraHours)
    {
        var groups = AllowanceGroups(intervals);
        var group = groups.LastOrDefault(g => g.From <= instant);
        if (group.Members is null)
            return (extraHours, period.Start);
        var seconds = (long)(group.To - group.From).TotalSeconds;
        var included = IncludedSeconds(group.Plan.IncludedHours(device), seconds, (long)period.Length.TotalSeconds);
        return (included / 3600m + extraHours, group.From);
    }

    private static string Span(DateTimeOffset from, DateTimeOffset to) => $" ({from:yyyy-MM-dd HH:mm} to {to:yyyy-MM-dd HH:mm} UTC)";

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
