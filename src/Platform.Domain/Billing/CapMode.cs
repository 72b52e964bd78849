namespace Platform.Domain.Billing;

/// <summary>What happens when a tenant runs out of included hours: Hard refuses launches, Soft warns and bills overage.</summary>
public enum CapMode
{
    Hard,
    Soft,
}
