namespace Platform.Domain.Tenants;

public enum TenantStatus
{
    Active,
    Suspended,
}
