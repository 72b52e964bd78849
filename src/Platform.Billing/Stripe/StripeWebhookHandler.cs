using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Npgsql;
using Platform.Billing.Invoices;
using Platform.Domain.Common;
using Stripe;

namespace Platform.Billing.Stripe;

public enum WebhookOutcome
{
    Applied,
    /// <summary>The event id was processed before: acknowledged, not applied again.</summary>
    Duplicate,
    /// <summary>A type we do not act on, or an object we do not know: recorded and acknowledged.</summary>
    Ignored,
}

/// <summary>
/// Handles a Stripe webhook delivery: Stripe.net's EventUtility.ConstructEvent verifies Stripe-Signature
/// (against our clock, so tests can move it) and parses the event; then the event id is recorded and
/// the event applied in one transaction, so a redelivery (Stripe retries for days) is applied once.
/// Events may arrive in any order: invoice states only move forward (invoice.finalized after
/// invoice.paid changes nothing). Refunds and disputes (charge.refunded, charge.dispute.*) are recorded
/// against the invoice the charge paid (<see cref="StripePaymentEvents"/>). The web tier maps the endpoint: BadRequest -> 400 (Stripe will
/// retry), success -> 200.
/// </summary>
public sealed class StripeWebhookHandler(NpgsqlDataSource dataSource, IOptions<StripeOptions> options, TimeProvider clock,
    ILogger<StripeWebhookHandler> logger)
{
    public const string SignatureHeader = "Stripe-Signature";

    public Task<Result<WebhookOutcome>> HandleAsync(IDictionary<string, StringValues> headers, string body,
        CancellationToken cancellationToken = default)
    {
        var signature = headers.FirstOrDefault(h => string.Equals(h.Key, SignatureHeader, StringComparison.OrdinalIgnoreCase)).Value;
        return HandleAsync(signature.ToString(), body, cancellationToken);
    }

    public async Task<Result<WebhookOutcome>> HandleAsync(string? signatureHeader, string body, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.WebhookSecret))
            return Result<WebhookOutcome>.Forbidden("Stripe webhooks are not configured.");
        if (string.IsNullOrWhiteSpace(signatureHeader))
            return Refuse("Missing Stripe-Signature header.");
        Event stripeEvent;
        try
        {
            // The API version is not enforced (docs/decisions/0022): an endpoint on another version must not
            // have every delivery refused, and this handler reads only fields every version carries.
            stripeEvent = EventUtility.ConstructEvent(body, signatureHeader, settings.WebhookSecret, settings.WebhookToleranceSeconds,
                clock.GetUtcNow().ToUnixTimeSeconds(), throwOnApiVersionMismatch: false);
        }
        // FormatException and OverflowException: a "t=" that is not a 32-bit number of seconds.
        catch (Exception e) when (e is StripeException or FormatException or OverflowException)
        {
            return Refuse(e.Message);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            // Signed by Stripe, yet not readable as Stripe.net's Event: refused so that Stripe delivers it again once fixed.
            logger.LogError("A signed Stripe webhook could not be read as an event ({Error}); is the endpoint on API version {Expected}?",
                e.Message, StripeConfiguration.ApiVersion);
            return Result<WebhookOutcome>.BadRequest("The event is not a Stripe event object.");
        }
        if (stripeEvent.Object != "event" || string.IsNullOrEmpty(stripeEvent.Id) || string.IsNullOrEmpty(stripeEvent.Type))
            return Result<WebhookOutcome>.BadRequest("The event is not a Stripe event object.");
        if (stripeEvent.ApiVersion is not { } version || !EventUtility.IsCompatibleApiVersion(version))
        {
            logger.LogWarning("Stripe event {EventId} is rendered at API version {EventVersion}, Stripe.net {Expected}: set the webhook endpoint's API version to {Expected}",
                stripeEvent.Id, stripeEvent.ApiVersion ?? "(none)", StripeConfiguration.ApiVersion, StripeConfiguration.ApiVersion);
        }
        var created = new DateTimeOffset(DateTime.SpecifyKind(stripeEvent.Created, DateTimeKind.Utc));
        // The object as sent, for the fields whose place depends on the API version (StripePaymentEvents).
        using var json = JsonDocument.Parse(body);
        var raw = json.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("object", out var o) ? o : default;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var record = new NpgsqlCommand(
            "INSERT INTO stripe_events (id, type, created) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING", connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = stripeEvent.Id });
            record.Parameters.Add(new NpgsqlParameter { Value = stripeEvent.Type });
            record.Parameters.Add(new NpgsqlParameter { Value = created.UtcDateTime });
            // A concurrent delivery of the same id waits on the key here and then finds it taken.
            if (await record.ExecuteNonQueryAsync(cancellationToken) == 0)
                return Result<WebhookOutcome>.Success(WebhookOutcome.Duplicate);
        }
        var outcome = (stripeEvent.Type, stripeEvent.Data?.Object) switch
        {
            (EventTypes.InvoiceFinalized, Invoice invoice) =>
                await MoveInvoiceAsync(connection, transaction, invoice, created, InvoiceStatus.Open, cancellationToken),
            (EventTypes.InvoicePaid, Invoice invoice) =>
                await MoveInvoiceAsync(connection, transaction, invoice, created, InvoiceStatus.Paid, cancellationToken, raw),
            _ when stripeEvent.Type == StripePaymentEvents.ChargeRefunded
                || stripeEvent.Type.StartsWith(StripePaymentEvents.DisputePrefix, StringComparison.Ordinal) =>
                await StripePaymentEvents.RecordAsync(connection, transaction, stripeEvent.Type, raw, created, cancellationToken)
                    ? WebhookOutcome.Applied
                    : WebhookOutcome.Ignored,
            (EventTypes.InvoiceVoided, Invoice invoice) =>
                await MoveInvoiceAsync(connection, transaction, invoice, created, InvoiceStatus.Void, cancellationToken),
            (EventTypes.CustomerSubscriptionUpdated or EventTypes.CustomerSubscriptionDeleted, Subscription subscription) =>
                await UpdateSubscriptionAsync(connection, transaction, stripeEvent.Type, subscription, created, cancellationToken),
            _ => WebhookOutcome.Ignored,
        };
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Stripe event {EventId} ({Type}): {Outcome}", stripeEvent.Id, stripeEvent.Type, outcome);
        return Result<WebhookOutcome>.Success(outcome);
    }

    private Result<WebhookOutcome> Refuse(string problem)
    {
        logger.LogWarning("Refused a Stripe webhook: {Problem}", problem);
        return Result<WebhookOutcome>.BadRequest(problem);
    }

    private async Task<WebhookOutcome> MoveInvoiceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Invoice invoice,
        DateTimeOffset created, InvoiceStatus target, CancellationToken cancellationToken, JsonElement raw = default)
    {
        // Ours carry metadata.platform_invoice_id (set when the push creates them); the Stripe id is remembered on the way.
        Guid? platformId = invoice.Metadata is { } metadata && metadata.TryGetValue("platform_invoice_id", out var value)
            && Guid.TryParse(value, out var parsed) ? parsed : null;
        await using var find = new NpgsqlCommand("""
            UPDATE invoices SET stripe_invoice_id = coalesce(stripe_invoice_id, $2)
            WHERE id = $1 OR stripe_invoice_id = $2
            RETURNING id
            """, connection, transaction);
        find.Parameters.Add(new NpgsqlParameter { Value = platformId ?? Guid.Empty });
        find.Parameters.Add(new NpgsqlParameter { Value = invoice.Id });
        if (await find.ExecuteScalarAsync(cancellationToken) is not Guid invoiceId)
            return WebhookOutcome.Ignored;
        var at = created > DateTimeOffset.UnixEpoch ? created : clock.GetUtcNow();
        await InvoiceTransitions.MoveAsync(connection, transaction, invoiceId, target, at, cancellationToken);
        if (target == InvoiceStatus.Paid && raw.ValueKind == JsonValueKind.Object)
            await StripePaymentEvents.LinkInvoiceAsync(connection, transaction, invoiceId, raw, cancellationToken);
        return WebhookOutcome.Applied;
    }

    /// <summary>
    /// Applies a subscription event unless a newer one was applied already (by the events' created time,
    /// Stripe's own clock): a retried older "updated" must not revive a subscription a later "deleted"
    /// ended. Within one second a cancellation wins. canceled_at is the event's time, not our clock's.
    /// </summary>
    private static async Task<WebhookOutcome> UpdateSubscriptionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string type, Subscription subscription, DateTimeOffset created, CancellationToken cancellationToken)
    {
        // Stripe's unpaid and incomplete_expired mean the same to launches as past_due and canceled.
        var status = type == EventTypes.CustomerSubscriptionDeleted ? "canceled" : subscription.Status switch
        {
            "active" or "trialing" or "past_due" or "canceled" => subscription.Status,
            "unpaid" => "past_due",
            "incomplete_expired" => "canceled",
            _ => null,
        };
        if (status is null)
            return WebhookOutcome.Ignored;
        await using var update = new NpgsqlCommand("""
            UPDATE subscriptions SET status = $2, updated_at = now(), stripe_status_at = $3,
                canceled_at = CASE WHEN $2 = 'canceled' THEN coalesce(canceled_at, $3) ELSE canceled_at END
            WHERE stripe_subscription_id = $1
              AND (stripe_status_at IS NULL OR stripe_status_at < $3 OR (stripe_status_at = $3 AND $2 = 'canceled'))
            """, connection, transaction);
        update.Parameters.Add(new NpgsqlParameter { Value = subscription.Id });
        update.Parameters.Add(new NpgsqlParameter { Value = status });
        update.Parameters.Add(new NpgsqlParameter { Value = created.UtcDateTime });
        return await update.ExecuteNonQueryAsync(cancellationToken) > 0 ? WebhookOutcome.Applied : WebhookOutcome.Ignored;
    }
}
