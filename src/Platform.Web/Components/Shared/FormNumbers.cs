using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Web.Components.Shared;

/// <summary>
/// Numbers typed into SSR forms, read the same whatever the server's culture: a dot for decimals and
/// commas only between groups of three digits. "12,5" is refused rather than read as 125 (it is
/// 12.5 in half of Europe), so a mistyped price never saves as another price.
/// </summary>
public static partial class FormNumbers
{
    public static bool TryDecimal(string? text, out decimal value)
    {
        value = 0;
        text = text?.Trim();
        return text is not null && Decimal().IsMatch(text) &&
               decimal.TryParse(text.Replace(",", ""), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                   CultureInfo.InvariantCulture, out value);
    }

    public static bool TryInt(string? text, out int value)
    {
        value = 0;
        text = text?.Trim();
        return text is not null && Integer().IsMatch(text) &&
               int.TryParse(text.Replace(",", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A decimal for a form field: no trailing zeros beyond <paramref name="minDecimals"/>.</summary>
    public static string Show(decimal value, int minDecimals = 0) =>
        value.ToString("0." + new string('0', minDecimals) + "######", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")]
    private static partial Regex Decimal();

    [GeneratedRegex(@"^-?(\d{1,3}(,\d{3})+|\d+)$")]
    private static partial Regex Integer();
}
