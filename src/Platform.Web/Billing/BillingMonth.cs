using System.Globalization;

namespace Platform.Web.Billing;

/// <summary>
/// A calendar month in UTC, [Start, End): the window the finance pages read usage and invoices by.
/// Tenants' billing periods run from their own anchor; finance compares tenants month by month.
/// </summary>
public readonly record struct BillingMonth(int Year, int Month)
{
    public DateTimeOffset Start => new(Year, Month, 1, 0, 0, 0, TimeSpan.Zero);

    public DateTimeOffset End => Start.AddMonths(1);

    public BillingMonth Previous => From(Start.AddMonths(-1));

    public BillingMonth Next => From(End);

    /// <summary>As forms and URLs carry it (an input of type month): yyyy-MM.</summary>
    public string Value => Start.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public string Label => Start.ToString("MMMM yyyy", CultureInfo.InvariantCulture);

    public static BillingMonth From(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        return new BillingMonth(utc.Year, utc.Month);
    }

    public static bool TryParse(string? text, out BillingMonth month)
    {
        month = default;
        if (!DateTime.TryParseExact(text?.Trim(), "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            || parsed.Year < 2000 || parsed.Year > 9998)
            return false;
        month = new BillingMonth(parsed.Year, parsed.Month);
        return true;
    }

    public override string ToString() => Value;
}
