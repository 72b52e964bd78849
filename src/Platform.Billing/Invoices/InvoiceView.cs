namespace Platform.Billing.Invoices;

/// <summary>
/// An invoice as the portal and the PDF show it. Hours are the line's seconds / 3600 (display only;
/// amounts were computed from seconds). AmountDue is the total less credit notes, zero once paid or void.
/// Total = Subtotal + TaxAmount. The seller's and buyer's details and the tax are as they were at the
/// close (null on invoices issued before they were recorded).
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
    string? StripeInvoiceId,
    InvoiceParties? Parties = null,
    InvoiceTax? Tax = null,
    DateTimeOffset? DueAt = null,
    int PaymentTermsDays = 30,
    IReadOnlyList<PaymentEventView>? Payments = null)
{
    /// <summary>The amount before tax: the total when the invoice carries no tax.</summary>
    public decimal Subtotal => Tax?.Subtotal ?? Total;

    /// <summary>What Stripe refunded on the charges that paid this invoice.</summary>
    public decimal Refunded => (Payments ?? []).Where(p => p.Kind == "refund").Sum(p => p.Amount);

    /// <summary>Disputed and not yet decided: the money is held by the card network.</summary>
    public decimal Disputed => (Payments ?? []).Where(p => p.Kind == "dispute" && p.Status is not ("won" or "lost" or "warning_closed")).Sum(p => p.Amount);

    /// <summary>Disputes the customer won: the money went back to them.</summary>
    public decimal DisputeLost => (Payments ?? []).Where(p => p.Kind == "dispute" && p.Status == "lost").Sum(p => p.Amount);

    /// <summary>What the platform keeps of a paid invoice after refunds and lost disputes (credit notes aside).</summary>
    public decimal NetReceived => Status == InvoiceStatus.Paid ? Math.Max(0m, Total - Refunded - DisputeLost) : 0m;

    /// <summary>The payment's state beyond paid, as finance reads it; null when nothing happened after payment.</summary>
    public string? PaymentState => Disputed > 0 ? "disputed"
        : DisputeLost > 0 ? "dispute lost"
        : Refunded > 0 && Refunded >= Total ? "refunded"
        : Refunded > 0 ? "partially refunded"
        : (Payments ?? []).Any(p => p.Kind == "dispute" && p.Status == "won") ? "dispute won"
        : null;
}

/// <summary>A refund (a charge's refunds together) or dispute received from Stripe, as its newest event left it.</summary>
public sealed record PaymentEventView(string StripeId, string Kind, decimal Amount, string Currency, string Status, string? Reason, DateTimeOffset EventAt);

/// <summary>Seller lines (legal name first) and the buyer's legal details as issued.</summary>
public sealed record InvoiceParties(IReadOnlyList<string> Seller, string BuyerName, IReadOnlyList<string> BuyerAddress, string? BuyerCountry,
    string? BuyerTaxId);

/// <summary>The invoice's tax: how it was decided (Treatment, rate, jurisdiction, the sentence printed) and the amounts.</summary>
public sealed record InvoiceTax(string Treatment, decimal RatePercent, string? Jurisdiction, string Reason, decimal Subtotal, decimal Amount);

public sealed record InvoiceLineView(int LineNo, string Kind, string Description, string? DeviceKind, long Seconds, decimal Hours,
    decimal UnitPrice, decimal Amount, decimal TaxAmount = 0);

/// <summary>A credit note; Amount includes TaxAmount, the tax it gives back in the invoice's proportion.</summary>
public sealed record CreditNoteView(Guid Id, string Number, decimal Amount, string Reason, DateTimeOffset CreatedAt, decimal TaxAmount = 0);

public sealed record InvoiceSummary(Guid Id, string Number, Guid TenantId, string TenantName, DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd, InvoiceStatus Status, string Currency, decimal Total, decimal Credited);

/// <summary>Finance's invoice list filter; null fields do not filter. The period bounds apply to the period's start.</summary>
public sealed record InvoiceFilter(Guid? TenantId = null, InvoiceStatus? Status = null, DateTimeOffset? PeriodStartFrom = null,
    DateTimeOffset? PeriodStartTo = null);

/// <summary>A tenant's invoices in one currency for a window: their count, total and credit notes.</summary>
public sealed record InvoicedTotal(Guid TenantId, string Currency, decimal Total, int Count, decimal Credited);
