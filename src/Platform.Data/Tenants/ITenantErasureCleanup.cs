namespace Platform.Data.Tenants;

/// <summary>What an erased organisation leaves outside the database, read before its rows went.</summary>
public sealed record ErasedTenant(Guid TenantId, string Name, string? StripeCustomerId);

/// <summary>
/// Removes what another module keeps of an erased organisation outside the database (billing: the Stripe
/// customer). Runs after the erasure's commit: the rows are gone whatever happens here, so a failure is
/// reported in the erasure's summary and the log for an operator, never undone.
/// </summary>
public interface ITenantErasureCleanup
{
    /// <summary>Does the cleanup and says what it did, for the erasure's summary ("Stripe customer cus_... deleted").</summary>
    Task<string> CleanUpAsync(ErasedTenant tenant, CancellationToken cancellationToken);
}
