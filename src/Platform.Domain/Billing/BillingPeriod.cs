namespace Platform.Domain.Billing;

/// <summary>
/// A billing period [Start, End): monthly from the subscription's anchor. Months are calendar months
/// counted from the anchor (31 Jan anchors to 28/29 Feb, then 31 Mar), so periods tile without gaps.
/// </summary>
public readonly record struct BillingPeriod(DateTimeOffset Start, DateTimeOffset End)
{
    public TimeSpan Length => End - Start;

    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    public static BillingPeriod Containing(DateTimeOffset anchor, DateTimeOffset instant)
    {
        anchor = anchor.ToUniversalTime();
        // Start from an estimate of whole months and correct by at most one either way.
        var months = (instant.Year - anchor.Year) * 12 + instant.Month - anchor.Month;
        while (anchor.AddMonths(months) > instant)
            months--;
        while (anchor.AddMonths(months + 1) <= instant)
            months++;
        return new BillingPeriod(anchor.AddMonths(months), anchor.AddMonths(months + 1));
    }

    public BillingPeriod Next(DateTimeOffset anchor) => Containing(anchor, End);
}
