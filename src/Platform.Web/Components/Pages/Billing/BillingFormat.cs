using System.Globalization;
using Platform.Domain.Billing;

namespace Platform.Web.Components.Pages.Billing;

/// <summary>How billing pages write hours, money and periods, the same way everywhere.</summary>
public static class BillingFormat
{
    /// <summary>Ledger seconds as hours; four decimals, so a few seconds still show (0.0006 h).</summary>
    public static string Hours(long seconds) => Hours(seconds / 3600m);

    public static string Hours(decimal hours) =>
        hours != 0 && Math.Abs(hours) < 0.0001m ? "< 0.0001" : hours.ToString("#,0.####", CultureInfo.InvariantCulture);

    public static string Seconds(long seconds) => seconds.ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>As the PDF and Stripe write it: "105.00 USD".</summary>
    public static string Money(decimal amount, string currency) => new Money(amount, currency).ToString();

    /// <summary>A usage charge (decision 0041) in each of its currencies, "—" when it comes to nothing.</summary>
    public static string Charge(Platform.Billing.Finance.UsageCharge charge) => charge.Amounts.Count == 0
        ? "—"
        : string.Join(" + ", charge.Amounts.Select(a => Money(a.Amount, a.Currency)));

    public static string Day(DateTimeOffset value) => value.UtcDateTime.ToString("d MMM yyyy", CultureInfo.InvariantCulture);

    /// <summary>
    /// A period [start, end) in days, as people read it: a period from midnight to midnight shows its last
    /// day ("1 Jun – 30 Jun 2026"); one anchored at another time of day shows the day it ends on.
    /// </summary>
    public static string Period(DateTimeOffset start, DateTimeOffset end)
    {
        var first = start.UtcDateTime;
        var last = end.UtcDateTime.TimeOfDay == TimeSpan.Zero && first.TimeOfDay == TimeSpan.Zero ? end.UtcDateTime.AddDays(-1) : end.UtcDateTime;
        var from = first.Year == last.Year ? first.ToString("d MMM", CultureInfo.InvariantCulture) : Day(start);
        return $"{from} – {last.ToString("d MMM yyyy", CultureInfo.InvariantCulture)}";
    }

    /// <summary>The period to the minute, for the invoice itself.</summary>
    public static string ExactPeriod(DateTimeOffset start, DateTimeOffset end) =>
        start.UtcDateTime.TimeOfDay == TimeSpan.Zero && end.UtcDateTime.TimeOfDay == TimeSpan.Zero
            ? Period(start, end)
            : $"{Shared.Format.Date(start)} – {Shared.Format.Date(end)}";

    public static string Kind(string kind) => kind switch
    {
        "Fee" => "Plan fee",
        "IncludedUsage" => "Included usage",
        "Overage" => "Overage",
        "LateUsage" => "Late usage of an earlier period",
        _ => kind,
    };

    public static string Device(string? deviceKind) => deviceKind switch
    {
        DeviceClass.Gpu => "GPU",
        DeviceClass.Cpu => "CPU",
        null => "",
        _ => deviceKind,
    };
}
