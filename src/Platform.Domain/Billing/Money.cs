using System.Globalization;

namespace Platform.Domain.Billing;

/// <summary>
/// An amount in one currency. Decimal, never floating point: a binary fraction cannot hold 0.10
/// exactly, and invoices must add up to the cent. Arithmetic across currencies is a bug, so it throws.
/// </summary>
public readonly record struct Money
{
    // For JSON (a page hands its figures to its circuit as JSON): a struct otherwise deserializes through the
    // implicit parameterless constructor, with no amount and no currency.
    [System.Text.Json.Serialization.JsonConstructor]
    public Money(decimal amount, string currency)
    {
        if (currency is not { Length: 3 } || !currency.All(char.IsAsciiLetterUpper))
            throw new ArgumentException($"'{currency}' is not an ISO 4217 code (three capital letters).", nameof(currency));
        if (!Iso4217.IsKnown(currency))
            throw new ArgumentException($"'{currency}' is not an ISO 4217 currency.", nameof(currency));
        Amount = amount;
        Currency = currency;
    }

    public decimal Amount { get; }

    public string Currency { get; }

    public static Money Zero(string currency) => new(0m, currency);

    /// <summary>
    /// Rounds to the currency's minor unit, half away from zero (see docs/decisions/0011): the rule a
    /// customer applies checking an invoice by hand. Done once per invoice line, never on partial sums.
    /// </summary>
    public Money Rounded() => new(Math.Round(Amount, MinorDigits(Currency), MidpointRounding.AwayFromZero), Currency);

    /// <summary>The amount in the currency's minor unit (cents), as Stripe expects it; only for rounded amounts.</summary>
    public long MinorUnits()
    {
        var scaled = Amount;
        for (var i = MinorDigits(Currency); i > 0; i--)
            scaled *= 10;
        if (scaled != decimal.Truncate(scaled))
            throw new InvalidOperationException($"{this} is not rounded to the minor unit.");
        return (long)scaled;
    }

    /// <summary>The currency's ISO 4217 minor unit: 0 (JPY, XOF, UGX, ...), 2, 3 (KWD, BHD, ...) or 4 (CLF, UYW).</summary>
    public static int MinorDigits(string currency) => Iso4217.MinorDigits(currency);

    public static Money operator +(Money a, Money b) => new(a.Amount + b.SameCurrency(a).Amount, a.Currency);

    public static Money operator -(Money a, Money b) => new(a.Amount - b.SameCurrency(a).Amount, a.Currency);

    public static Money operator *(Money a, decimal factor) => new(a.Amount * factor, a.Currency);

    public static Money operator -(Money a) => new(-a.Amount, a.Currency);

    public static Money Sum(IEnumerable<Money> amounts, string currency) =>
        amounts.Aggregate(Zero(currency), (total, next) => total + next);

    private Money SameCurrency(Money other) => other.Currency == Currency
        ? this
        : throw new InvalidOperationException($"Cannot combine {Currency} with {other.Currency}.");

    public override string ToString() =>
        $"{Amount.ToString("F" + MinorDigits(Currency), CultureInfo.InvariantCulture)} {Currency}";
}
