using Platform.Domain.Billing;

namespace Platform.Billing.Stripe;

/// <summary>
/// Amounts as Stripe's API takes them: an integer in the currency's smallest unit as Stripe defines it,
/// which is ISO 4217's minor unit except where Stripe says otherwise (docs.stripe.com/currencies):
/// ISK is sent with two decimals (a multiple of 100), MGA with none, and three-decimal currencies
/// must end in 0. An amount Stripe cannot represent throws rather than being rounded silently.
/// </summary>
internal static class StripeAmounts
{
    public static int StripeDigits(string currency) => currency switch
    {
        "ISK" => 2,
        "MGA" => 0,
        _ => Money.MinorDigits(currency),
    };

    public static long ToStripe(Money money)
    {
        var digits = StripeDigits(money.Currency);
        var scaled = money.Amount;
        for (var i = 0; i < digits; i++)
            scaled *= 10;
        if (scaled != decimal.Truncate(scaled))
            throw new InvalidOperationException($"{money} cannot be sent to Stripe: it has more decimals than Stripe takes in {money.Currency}.");
        if (digits == 3 && scaled % 10 != 0)
            throw new InvalidOperationException($"{money} cannot be sent to Stripe: Stripe takes {money.Currency} amounts in multiples of 0.010.");
        return (long)scaled;
    }
}
