using Platform.Domain.Billing;

namespace Platform.Billing.Finance;

/// <summary>
/// What one tenant's usage in one billing period comes to, kept as usage is added in the order it ended
/// (docs/decisions/0041). The figure is always the invoice's own: the period is priced again with
/// <see cref="PeriodPricing.Price"/> (the close's included hours, proration and overage rates) on the usage
/// so far, and a piece of usage is charged what it adds to that price. Included hours are thus used up by
/// the earliest usage, and the pieces of a period add up exactly to the usage lines of its invoice
/// (differences of rounded totals telescope, so no cent is lost or doubled).
/// </summary>
public sealed class PeriodCharge
{
    private readonly BillingPeriod _period;
    private readonly (Plan Plan, DateTimeOffset From, DateTimeOffset To, string? FeeWaiver)[] _intervals;
    private readonly long[] _gpu;
    private readonly long[] _cpu;
    private readonly decimal _extraGpuHours;
    private readonly decimal _extraCpuHours;
    private (decimal Amount, long Billable) _priced;

    public PeriodCharge(BillingPeriod period, IReadOnlyList<(Plan Plan, DateTimeOffset From, DateTimeOffset To, string? FeeWaiver)> intervals,
        decimal extraGpuHours, decimal extraCpuHours)
    {
        _period = period;
        _intervals = [.. intervals];
        _gpu = new long[_intervals.Length];
        _cpu = new long[_intervals.Length];
        _extraGpuHours = extraGpuHours;
        _extraCpuHours = extraCpuHours;
        Currency = _intervals.Length > 0 ? _intervals[0].Plan.Currency : null;
    }

    public BillingPeriod Period => _period;

    /// <summary>The plans' currency; null when no plan was in force in the period (nothing in it is charged).</summary>
    public string? Currency { get; }

    /// <summary>
    /// Adds usage that ended at <paramref name="endedAt"/> and returns what it adds to the period's usage charge
    /// and how many of its seconds are beyond the included hours. Usage outside every plan interval (before
    /// the subscription began) is not billed, as the invoice does not bill it.
    /// </summary>
    public (decimal Amount, long BillableSeconds) Add(DateTimeOffset endedAt, string deviceKind, long seconds)
    {
        var index = Array.FindIndex(_intervals, i => endedAt >= i.From && endedAt < i.To);
        if (index < 0 || seconds == 0)
            return (0m, 0);
        if (deviceKind == DeviceClass.Gpu)
            _gpu[index] += seconds;
        else
            _cpu[index] += seconds;
        var before = _priced;
        _priced = Price();
        return (_priced.Amount - before.Amount, _priced.Billable - before.Billable);
    }

    /// <summary>The usage lines of the period as its invoice would price the usage added so far.</summary>
    private (decimal Amount, long Billable) Price()
    {
        var intervals = _intervals.Select((i, n) => new PlanInterval(i.Plan, i.From, i.To, _gpu[n], _cpu[n], i.FeeWaiver)).ToList();
        var usage = PeriodPricing.Price(_period, intervals, _extraGpuHours, _extraCpuHours).Where(l => l.DeviceKind is not null).ToList();
        return (usage.Sum(l => l.Amount.Amount), usage.Where(l => l.Kind == InvoiceLineKind.Overage).Sum(l => l.Seconds));
    }
}
