namespace Platform.Billing.Invoices;

/// <summary>
/// An invoice as the portal and the PDF show it. Hours are the line's seconds / 3600 (display only;
/// amounts were computed from seconds). AmountDue is the total less credit notes, zero once paid or void.
/// </summary>
public sealed record InvoiceView(
    Guid Id,
    string Number,
    Guid TenantId,
    string TenantName,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    InvoiceStatus Status,
    string Currency,
    IReadOnlyList<InvoiceLineView> Lines,
    decimal Total,
    IReadOnlyList<CreditNoteView> CreditNotes,
    decimal Credited,
    decimal AmountDue,
    long GpuSeconds,
    long CpuSeconds,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinalizedAt,
    DateTimeOffset? PaidAt,
    DateTimeOffset? VoidedAt,
    string? StripeInvoiceId);

public sealed record InvoiceLineView(int LineNo, string Kind, string Description, string? DeviceKind, long Seconds, decimal Hours,
    decimal UnitPrice, decimal Amount);

public sealed record CreditNoteView(Guid Id, string Number, decimal Amount, string Reason, DateTimeOffset CreatedAt);

public sealed record InvoiceSummary(Guid Id, string Number, Guid TenantId, string TenantName, DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd, InvoiceStatus Status, string Currency, decimal Total, decimal Credited);

/// <summary>Finance's invoice list filter; null fields do not filter. The period bounds apply to the period's start.</summary>
public sealed record InvoiceFilter(Guid? TenantId = null, InvoiceStatus? Status = null, DateTimeOffset? PeriodStartFrom = null,
    DateTimeOffset? PeriodStartTo = null);

/// <summary>A tenant's invoices in one currency for a window: their count, total and credit notes.</summary>
public sealed record InvoicedTotal(Guid TenantId, string Currency, decimal Total, int Count, decimal Credited);
