namespace Platform.Domain.Billing;

public enum InvoiceLineKind
{
    Fee,
    IncludedUsage,
    Overage,

    /// <summary>Usage of an earlier, already invoiced period that reached the ledger after that invoice.</summary>
    LateUsage,
}

/// <summary>
/// One priced line of an invoice; Amount is already rounded to the minor unit. UsagePeriodStart names
/// the earlier period a LateUsage line bills (null on the invoice's own period's lines).
/// </summary>
public sealed record InvoiceLineDraft(
    InvoiceLineKind Kind,
    string Description,
    string? DeviceKind,
    long Seconds,
    decimal UnitPrice,
    Money Amount,
    DateTimeOffset? UsagePeriodStart = null);
