using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Tax;

namespace Platform.Web.Hosting;

/// <summary>
/// `--seed-demo`: one closed billing period with its issued invoice, so finance (and the owner's billing
/// page) have an invoice to open on the first day instead of after a month. A freshly seeded demo
/// organisation's subscription is moved one month back (its anchor and plan changes, nothing else: it
/// has no usage and no invoice yet), it gets buyer details, and the period that has then ended is
/// closed by the same command the billing scheduler runs. Runs once: an organisation with an invoice,
/// or one whose subscription is older than a month (the scheduler closes its periods), is left alone.
/// </summary>
internal static class DemoPastPeriod
{
    private static readonly BuyerDetails DemoBuyer = new("Demo Startup GmbH", "Torstraße 1", null, "Berlin", "10119", null, "DE", null);

    public static async Task EnsureAsync(IServiceProvider sp, Guid demoTenantId, CancellationToken cancellationToken)
    {
        var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
        if (await sp.GetRequiredService<GetTenantSubscriptionQuery>().ExecuteAsync(demoTenantId, cancellationToken) is not { } view
            || view.Subscription.Anchor < now.AddMonths(-1))
            return;

        if ((await sp.GetRequiredService<InvoiceQueries>().ListForFinanceAsync(demoTenantId, cancellationToken)).Count > 0)
            return;
        if (await sp.GetRequiredService<BuyerDetailsStore>().GetAsync(demoTenantId, cancellationToken) is null)
        {
            var saved = await sp.GetRequiredService<BuyerDetailsStore>().SaveAsync(demoTenantId, DemoBuyer, cancellationToken);
            if (!saved.IsSuccess)
                throw new InvalidOperationException($"Could not save the demo buyer details: {saved.Error}");
        }
        if (!await sp.GetRequiredService<BackdateSubscriptionCommand>().ExecuteAsync(demoTenantId, cancellationToken))
            return;
        var moved = await sp.GetRequiredService<GetTenantSubscriptionQuery>().ExecuteAsync(demoTenantId, cancellationToken);
        var closed = await sp.GetRequiredService<ClosePeriodCommand>().ExecuteAsync(demoTenantId, moved!.Subscription.Anchor, finalize: true,
            cancellationToken);
        if (!closed.IsSuccess)
            throw new InvalidOperationException($"Could not close the demo organisation's past period: {closed.Error}");
    }
}
