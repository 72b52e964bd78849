namespace Platform.Domain.Tenants;

public enum TenantRole
{
    Owner,
    Member,
}
