using System.Net;
using Microsoft.Extensions.Options;
using Platform.Data.Tenants;
using Stripe;

namespace Platform.Billing.Stripe;

/// <summary>
/// An erased organisation's customer at Stripe goes too (its payment methods, address and email with it).
/// Stripe keeps the invoices it issued, as the law asks, like the platform keeps its own. A customer Stripe
/// no longer has counts as deleted, so a repeated call changes nothing.
/// </summary>
internal sealed class DeleteStripeCustomerOnErasure(IStripeClient stripe, IOptions<StripeOptions> options) : ITenantErasureCleanup
{
    public async Task<string> CleanUpAsync(ErasedTenant tenant, CancellationToken cancellationToken)
    {
        if (tenant.StripeCustomerId is not { Length: > 0 } customer)
            return "No Stripe customer to delete.";
        if (!options.Value.Enabled)
            return $"Stripe customer {customer} not deleted: Stripe is not configured (Stripe:SecretKey).";
        try
        {
            await new CustomerService(stripe).DeleteAsync(customer, null, new RequestOptions { IdempotencyKey = $"erase-customer-{tenant.TenantId:N}" },
                cancellationToken);
        }
        catch (StripeException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return $"Stripe customer {customer} was already deleted.";
        }
        return $"Stripe customer {customer} deleted.";
    }
}
