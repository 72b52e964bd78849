namespace Platform.Billing.Invoices;

/// <summary>
/// draft -> open -> paid, and draft/open -> void. Paid and void are final: a paid invoice is corrected
/// with a credit note, never edited. Stored lower case, as Stripe names invoice statuses.
/// </summary>
public enum InvoiceStatus
{
    Draft,
    Open,
    Paid,
    Void,
}

internal static class InvoiceStatuses
{
    public static string ToDb(InvoiceStatus status) => status.ToString().ToLowerInvariant();

    public static InvoiceStatus FromDb(string value) => Enum.Parse<InvoiceStatus>(value, ignoreCase: true);

    /// <summary>
    /// Whether moving from one status to another is progress. Events can arrive in any order
    /// (invoice.paid before invoice.finalized), so a move to an earlier status is skipped, not an error.
    /// </summary>
    public static bool CanMove(InvoiceStatus from, InvoiceStatus to) => (from, to) switch
    {
        (InvoiceStatus.Draft, InvoiceStatus.Open or InvoiceStatus.Paid or InvoiceStatus.Void) => true,
        (InvoiceStatus.Open, InvoiceStatus.Paid or InvoiceStatus.Void) => true,
        _ => false,
    };
}
