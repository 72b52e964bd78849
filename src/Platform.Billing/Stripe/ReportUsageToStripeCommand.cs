using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Stripe;
using Stripe.Billing;

namespace Platform.Billing.Stripe;

/// <summary>
/// Sends ledger rows not yet acknowledged by Stripe as billing meter events (identifier = ledger
/// key, value = seconds), for tenants with a Stripe customer, and marks each row once Stripe accepts
/// it. Safe to run from several processes and to re-run after a crash: the identifier and the
/// Idempotency-Key make a resend a no-op at Stripe. Without Stripe keys it does nothing.
/// </summary>
public sealed class ReportUsageToStripeCommand(NpgsqlDataSource dataSource, IStripeClient stripe, IOptions<StripeOptions> options)
{
    public async Task<int> ExecuteAsync(int limit = 1000, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            return 0;
        var pending = new List<(string Key, string Customer, string Device, long Seconds, DateTimeOffset EndedAt)>();
        await using (var command = dataSource.CreateCommand("""
            SELECT l.idempotency_key, s.stripe_customer_id, l.device_kind, l.seconds, l.ended_at
            FROM usage_ledger l JOIN subscriptions s ON s.tenant_id = l.tenant_id
            WHERE l.stripe_reported_at IS NULL AND s.stripe_customer_id IS NOT NULL
            ORDER BY l.ingested_at, l.idempotency_key
            LIMIT $1
            """))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                pending.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }
        var meterEvents = new MeterEventService(stripe);
        var sent = 0;
        foreach (var row in pending)
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
            await using var mark = dataSource.CreateCommand(
                "UPDATE usage_ledger SET stripe_reported_at = now() WHERE idempotency_key = $1 AND stripe_reported_at IS NULL");
            mark.Parameters.Add(new NpgsqlParameter { Value = row.Key });
            sent += await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        return sent;
    }
}
