namespace Platform.Domain.Billing;

public enum InvoiceLineKind
{
    Fee,
    IncludedUsage,
    Overage,
}

/// <summary>One priced line of an invoice; Amount is already rounded to the minor unit.</summary>
public sealed record InvoiceLineDraft(
    InvoiceLineKind Kind,
    string Description,
    string? DeviceKind,
    long Seconds,
    decimal UnitPrice,
    Money Amount);
