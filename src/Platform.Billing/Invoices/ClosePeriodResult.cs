namespace Platform.Billing.Invoices;

/// <summary>The period's invoice; Created is false when an earlier (or concurrent) close had already made it.</summary>
public sealed record ClosePeriodResult(Guid InvoiceId, string Number, bool Created);
