using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Billing.Stripe;
using Platform.Domain.Common;
using Stripe;

namespace Platform.Billing.Plans;

/// <summary>
/// Creates the tenant's Stripe customer and subscription (to the plan's price ids) and stores their
/// ids. The Idempotency-Keys derive from the tenant id, so running it twice links the same objects.
/// </summary>
internal sealed class LinkStripeCustomerCommand(NpgsqlDataSource dataSource, IStripeClient stripe, IOptions<StripeOptions> options,
    TimeProvider clock)
{
    public async Task<Result<string>> ExecuteAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Enabled)
            return Result<string>.Conflict("Stripe is not configured; the platform bills from its own ledger.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var subscription = await SubscriptionReader.ReadAsync(connection, null, tenantId, cancellationToken);
        if (subscription is null)
            return Result<string>.NotFound("The organisation has no subscription.");
        string name;
        await using (var read = new NpgsqlCommand("SELECT name FROM tenants WHERE id = $1", connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            name = (string)(await read.ExecuteScalarAsync(cancellationToken))!;
        }
        var customer = subscription.StripeCustomerId ?? (await new CustomerService(stripe).CreateAsync(
            new CustomerCreateOptions { Name = name, Metadata = new() { ["tenant_id"] = tenantId.ToString() } },
            new RequestOptions { IdempotencyKey = $"customer-{tenantId:N}" }, cancellationToken)).Id;
        var plan = subscription.PlanAt(clock.GetUtcNow());
        string?[] prices = [plan.StripePriceId, plan.StripeGpuPriceId, plan.StripeCpuPriceId];
        var priceIds = prices.OfType<string>().ToList();
        string? stripeSubscription = subscription.StripeSubscriptionId;
        if (stripeSubscription is null && priceIds.Count > 0)
        {
            stripeSubscription = (await new SubscriptionService(stripe).CreateAsync(new SubscriptionCreateOptions
            {
                Customer = customer,
                Items = [.. priceIds.Select(price => new SubscriptionItemOptions { Price = price })],
                Metadata = new() { ["tenant_id"] = tenantId.ToString() },
            }, new RequestOptions { IdempotencyKey = $"subscription-{tenantId:N}-{string.Join('-', priceIds)}" }, cancellationToken)).Id;
        }
        await using var update = new NpgsqlCommand("""
            UPDATE subscriptions SET stripe_customer_id = $2, stripe_subscription_id = coalesce($3, stripe_subscription_id), updated_at = now()
            WHERE tenant_id = $1
            """, connection);
        update.Parameters.AddAll(NpgsqlTypes.NpgsqlDbType.Varchar, tenantId, customer, stripeSubscription);
        await update.ExecuteNonQueryAsync(cancellationToken);
        return Result<string>.Success(customer);
    }
}
