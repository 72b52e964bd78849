using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Domain.Billing;

namespace Platform.Billing.Invoices;

/// <summary>
/// Closes every period of every subscription that ended at least <see cref="BillingOptions.CloseGrace"/>
/// ago and has no invoice yet, oldest first: what a scheduler runs (hourly, say) on any number of hosts;
/// each close is once-only on its own. A scheduler that was down over several period ends closes each
/// of them. A canceled subscription is invoiced up to the period of its cancellation and not after.
/// Returns the number of invoices this run created.
/// </summary>
internal sealed class CloseDuePeriodsCommand(NpgsqlDataSource dataSource, ClosePeriodCommand close, TimeProvider clock,
    IOptions<BillingOptions> options)
{
    public async Task<int> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var closedBefore = now - options.Value.CloseGrace;
        var tenants = new List<(Guid TenantId, DateTimeOffset Anchor, DateTimeOffset? CanceledAt, DateTimeOffset? LastInvoiced)>();
        await using (var command = dataSource.CreateCommand("""
            SELECT s.tenant_id, s.anchor, s.canceled_at,
                   (SELECT max(i.period_start) FROM invoices i WHERE i.tenant_id = s.tenant_id)
            FROM subscriptions s
            """))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tenants.Add((reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1),
                    reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }
        var created = 0;
        foreach (var (tenantId, anchor, canceledAt, lastInvoiced) in tenants)
        {
            // The first period without an invoice: periods are closed in order, so none is left behind an invoiced one.
            var period = lastInvoiced is { } last
                ? BillingPeriod.Containing(anchor, BillingPeriod.Containing(anchor, last).End)
                : BillingPeriod.Containing(anchor, anchor);
            while (period.End <= closedBefore && (canceledAt is not { } canceled || period.Start < canceled))
            {
                var result = await close.ExecuteAsync(tenantId, period.Start, cancellationToken: cancellationToken);
                if (!result.IsSuccess)
                    break; // the next tick tries again; later periods must not be invoiced before this one
                if (result.Value.Created)
                    created++;
                period = BillingPeriod.Containing(anchor, period.End);
            }
        }
        return created;
    }
}
