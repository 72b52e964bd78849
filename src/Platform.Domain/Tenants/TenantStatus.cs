namespace Platform.Domain.Tenants;

public enum TenantStatus
{
    Active,
    Suspended,

    /// <summary>The organisation was erased; the row remains only because retained invoices reference it.</summary>
    Erased,
}
