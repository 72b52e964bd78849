using System.Globalization;

namespace Platform.Web.Components.Pages.AdminPlans;

/// <summary>How plan amounts read on admin pages: fees to the cent, hourly prices to their last significant digit.</summary>
public static class PlanFormat
{
    public static string Money(decimal amount, string currency) =>
        $"{amount.ToString("#,0.00##", CultureInfo.InvariantCulture)} {currency}";

    /// <summary>An overage price per hour: at least cents, up to the six decimals a price may have.</summary>
    public static string Price(decimal amount, string currency) => $"{amount.ToString("0.00####", CultureInfo.InvariantCulture)} {currency}";

    public static string Hours(decimal hours) => hours.ToString("#,0.####", CultureInfo.InvariantCulture);
}
