using Npgsql;

namespace Platform.Billing.Invoices;

/// <summary>
/// Closes the last ended period of every subscription that has none invoiced yet: what a scheduler
/// runs (hourly, say) on any number of hosts; each close is once-only on its own.
/// Returns the number of invoices this run created.
/// </summary>
public sealed class CloseDuePeriodsCommand(NpgsqlDataSource dataSource, ClosePeriodCommand close, TimeProvider clock)
{
    public async Task<int> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var tenants = new List<(Guid TenantId, DateTimeOffset Anchor)>();
        await using (var command = dataSource.CreateCommand("SELECT tenant_id, anchor FROM subscriptions WHERE status <> 'canceled' OR canceled_at > $1 - interval '2 months'"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = now.UtcDateTime });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                tenants.Add((reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }
        var created = 0;
        foreach (var (tenantId, anchor) in tenants)
        {
            var current = Domain.Billing.BillingPeriod.Containing(anchor, now);
            if (current.Start <= anchor)
                continue; // still in the first period: nothing has ended
            var result = await close.ExecuteAsync(tenantId, current.Start.AddTicks(-1), cancellationToken: cancellationToken);
            if (result.IsSuccess && result.Value.Created)
                created++;
        }
        return created;
    }
}
