using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Billing.Plans;
using Platform.Domain.Billing;
using Stripe;
using Stripe.Billing;

namespace Platform.Billing.Stripe;

/// <summary>
/// Sends ledger rows not yet acknowledged by Stripe as billing meter events (identifier = ledger
/// key, value = seconds), for tenants with a Stripe customer, and marks each row once Stripe accepts
/// it. Safe to run from several processes and to re-run after a crash: the identifier and the
/// Idempotency-Key make a resend a no-op at Stripe. Without Stripe keys it does nothing.
/// Stripe takes meter events up to 35 days old: an older row (a customer linked months after its
/// usage) goes as a pending invoice item instead, priced at the overage price of the plan then in
/// force (that period's allowance was settled at Stripe without it), so it lands on the customer's next
/// Stripe invoice. A row Stripe refuses for good (400/404: a deleted customer, say) is set aside with
/// Stripe's message (finance sees it in the reconciliation) and the batch goes on; rate limits and
/// outages still stop the batch for the next run.
/// </summary>
internal sealed class ReportUsageToStripeCommand(NpgsqlDataSource dataSource, IStripeClient stripe, IOptions<StripeOptions> options,
    TimeProvider clock, ILogger<ReportUsageToStripeCommand> logger)
{
    /// <summary>Stripe's limit is 35 days; a day less leaves room for clock skew and a slow batch.</summary>
    public static readonly TimeSpan MeterEventMaxAge = TimeSpan.FromDays(34);

    public async Task<int> ExecuteAsync(int limit = 1000, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            return 0;
        var pending = new List<(string Key, Guid TenantId, string Customer, string? Subscription, string Device, long Seconds, DateTimeOffset EndedAt)>();
        await using (var command = dataSource.CreateCommand("""
            SELECT l.idempotency_key, l.tenant_id, s.stripe_customer_id, s.stripe_subscription_id, l.device_kind, l.seconds, l.ended_at
            FROM usage_ledger l JOIN subscriptions s ON s.tenant_id = l.tenant_id
            WHERE l.stripe_reported_at IS NULL AND l.stripe_rejected_at IS NULL AND s.stripe_customer_id IS NOT NULL
            ORDER BY l.ingested_at, l.idempotency_key
            LIMIT $1
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                pending.Add((reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetString(4), reader.GetInt64(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }
        var meterEvents = new MeterEventService(stripe);
        var invoiceItems = new InvoiceItemService(stripe);
        var subscriptions = new Dictionary<Guid, Plans.Subscription?>();
        var oldest = clock.GetUtcNow() - MeterEventMaxAge;
        var sent = 0;
        foreach (var row in pending)
        {
            string? itemId = null;
            try
            {
                if (row.EndedAt >= oldest)
                {
                    await meterEvents.CreateAsync(new MeterEventCreateOptions
                    {
                        EventName = row.Device == "cuda" ? settings.GpuMeterEventName : settings.CpuMeterEventName,
                        Identifier = row.Key,
                        Timestamp = row.EndedAt.UtcDateTime,
                        Payload = new()
                        {
                            ["stripe_customer_id"] = row.Customer,
                            ["value"] = row.Seconds.ToString(CultureInfo.InvariantCulture),
                        },
                    }, new RequestOptions { IdempotencyKey = $"meter-{row.Key}" }, cancellationToken);
                }
                else
                {
                    if (!subscriptions.TryGetValue(row.TenantId, out var subscription))
                    {
                        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                        subscriptions[row.TenantId] = subscription = await SubscriptionReader.ReadAsync(connection, null, row.TenantId, cancellationToken);
                    }
                    if (subscription is null)
                        continue;
                    var plan = subscription.PlanAt(row.EndedAt);
                    var amount = PeriodPricing.OverageAmount(row.Seconds, plan.OveragePerHour(row.Device), plan.Currency);
                    itemId = (await invoiceItems.CreateAsync(new InvoiceItemCreateOptions
                    {
                        Customer = row.Customer,
                        Subscription = row.Subscription,
                        Amount = StripeAmounts.ToStripe(amount),
                        Currency = plan.Currency.ToLowerInvariant(),
                        Description = $"{Domain.Billing.DeviceClass.Label(row.Device)} time ended {row.EndedAt:yyyy-MM-dd HH:mm} UTC, " +
                                      $"{row.Seconds} s, reported after Stripe's 35 days for meter events",
                        Period = new InvoiceItemPeriodOptions { Start = row.EndedAt.UtcDateTime.AddSeconds(-row.Seconds), End = row.EndedAt.UtcDateTime },
                        Metadata = new() { ["ledger_key"] = row.Key },
                    }, new RequestOptions { IdempotencyKey = $"lateusage-{row.Key}" }, cancellationToken)).Id;
                }
            }
            catch (StripeException e) when (e.HttpStatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound
                                            && e.StripeError?.Type == "invalid_request_error")
            {
                // Sending it again gets the same answer: set it aside (the reconciliation shows it) and go on.
                logger.LogError("Stripe refused usage {Key}: {Message}", row.Key, e.Message);
                await using var reject = dataSource.CreateCommand(
                    "UPDATE usage_ledger SET stripe_rejected_at = $2, stripe_error = left($3, 500) WHERE idempotency_key = $1 AND stripe_reported_at IS NULL");
                reject.Parameters.Add(new NpgsqlParameter { Value = row.Key });
                reject.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow().UtcDateTime });
                reject.Parameters.Add(new NpgsqlParameter { Value = e.Message });
                await reject.ExecuteNonQueryAsync(cancellationToken);
                continue;
            }
            await using var mark = dataSource.CreateCommand(
                "UPDATE usage_ledger SET stripe_reported_at = now(), stripe_invoice_item_id = $2 WHERE idempotency_key = $1 AND stripe_reported_at IS NULL");
            mark.Parameters.Add(new NpgsqlParameter { Value = row.Key });
            mark.Parameters.Add(new NpgsqlParameter { Value = (object?)itemId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
            sent += await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        return sent;
    }
}
