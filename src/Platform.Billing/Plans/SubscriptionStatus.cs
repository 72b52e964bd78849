namespace Platform.Billing.Plans;

/// <summary>Stored lower case, as Stripe spells them, so webhook statuses map one to one.</summary>
public enum SubscriptionStatus
{
    Trialing,
    Active,
    PastDue,
    Canceled,
}

internal static class SubscriptionStatuses
{
    public static string ToDb(SubscriptionStatus status) => status switch
    {
        SubscriptionStatus.Trialing => "trialing",
        SubscriptionStatus.Active => "active",
        SubscriptionStatus.PastDue => "past_due",
        _ => "canceled",
    };

    public static SubscriptionStatus? FromDb(string value) => value switch
    {
        "trialing" => SubscriptionStatus.Trialing,
        "active" => SubscriptionStatus.Active,
        "past_due" => SubscriptionStatus.PastDue,
        "canceled" => SubscriptionStatus.Canceled,
        _ => null,
    };
}
