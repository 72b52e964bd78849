using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Npgsql;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Domain.Common;

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
/// Handles a Stripe webhook delivery: verifies Stripe-Signature, then records the event id and
/// applies it in one transaction, so a redelivery (Stripe retries for days) is applied once. Events
/// may arrive in any order: invoice states only move forward (invoice.finalized after invoice.paid
/// changes nothing). The web tier maps the endpoint: BadRequest -> 400 (Stripe will retry), success -> 200.
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
        var now = clock.GetUtcNow();
        if (StripeSignature.Verify(signatureHeader, body, settings.WebhookSecret, now,
                TimeSpan.FromSeconds(settings.WebhookToleranceSeconds)) is { } problem)
        {
            logger.LogWarning("Refused a Stripe webhook: {Problem}", problem);
            return Result<WebhookOutcome>.BadRequest(problem);
        }
        StripeEvent stripeEvent;
        try
        {
            stripeEvent = StripeEvent.Parse(body);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return Result<WebhookOutcome>.BadRequest("The event is not a Stripe event object.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var record = new NpgsqlCommand(
            "INSERT INTO stripe_events (id, type, created) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING", connection, transaction))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = stripeEvent.Id });
            record.Parameters.Add(new NpgsqlParameter { Value = stripeEvent.Type });
            record.Parameters.Add(new NpgsqlParameter { Value = stripeEvent.Created.UtcDateTime });
            // A concurrent delivery of the same id waits on the key here and then finds it taken.
            if (await record.ExecuteNonQueryAsync(cancellationToken) == 0)
                return Result<WebhookOutcome>.Success(WebhookOutcome.Duplicate);
        }
        var outcome = stripeEvent.Type switch
        {
            "invoice.finalized" => await MoveInvoiceAsync(connection, transaction, stripeEvent, InvoiceStatus.Open, cancellationToken),
            "invoice.paid" => await MoveInvoiceAsync(connection, transaction, stripeEvent, InvoiceStatus.Paid, cancellationToken),
            "invoice.voided" => await MoveInvoiceAsync(connection, transaction, stripeEvent, InvoiceStatus.Void, cancellationToken),
            "customer.subscription.updated" or "customer.subscription.deleted" =>
                await UpdateSubscriptionAsync(connection, transaction, stripeEvent, cancellationToken),
            _ => WebhookOutcome.Ignored,
        };
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Stripe event {EventId} ({Type}): {Outcome}", stripeEvent.Id, stripeEvent.Type, outcome);
        return Result<WebhookOutcome>.Success(outcome);
    }

    private async Task<WebhookOutcome> MoveInvoiceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, StripeEvent stripeEvent,
        InvoiceStatus target, CancellationToken cancellationToken)
    {
        // Ours carry metadata.platform_invoice_id (set when the client creates them); the Stripe id is remembered on the way.
        await using var find = new NpgsqlCommand("""
            UPDATE invoices SET stripe_invoice_id = coalesce(stripe_invoice_id, $2)
            WHERE id = $1 OR stripe_invoice_id = $2
            RETURNING id
            """, connection, transaction);
        find.Parameters.Add(new NpgsqlParameter { Value = stripeEvent.PlatformInvoiceId ?? Guid.Empty });
        find.Parameters.Add(new NpgsqlParameter { Value = stripeEvent.ObjectId });
        if (await find.ExecuteScalarAsync(cancellationToken) is not Guid invoiceId)
            return WebhookOutcome.Ignored;
        var at = stripeEvent.Created > DateTimeOffset.UnixEpoch ? stripeEvent.Created : clock.GetUtcNow();
        await InvoiceTransitions.MoveAsync(connection, transaction, invoiceId, target, at, cancellationToken);
        return WebhookOutcome.Applied;
    }

    private static async Task<WebhookOutcome> UpdateSubscriptionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        StripeEvent stripeEvent, CancellationToken cancellationToken)
    {
        // Stripe's unpaid and incomplete_expired mean the same to launches as past_due and canceled.
        var status = stripeEvent.Type == "customer.subscription.deleted" ? "canceled" : stripeEvent.ObjectStatus switch
        {
            "active" or "trialing" or "past_due" or "canceled" => stripeEvent.ObjectStatus,
            "unpaid" => "past_due",
            "incomplete_expired" => "canceled",
            _ => null,
        };
        if (status is null)
            return WebhookOutcome.Ignored;
        await using var update = new NpgsqlCommand("""
            UPDATE subscriptions SET status = $2, updated_at = now(),
                canceled_at = CASE WHEN $2 = 'canceled' THEN coalesce(canceled_at, now()) ELSE canceled_at END
            WHERE stripe_subscription_id = $1
            """, connection, transaction);
        update.Parameters.Add(new NpgsqlParameter { Value = stripeEvent.ObjectId });
        update.Parameters.Add(new NpgsqlParameter { Value = status });
        return await update.ExecuteNonQueryAsync(cancellationToken) > 0 ? WebhookOutcome.Applied : WebhookOutcome.Ignored;
    }
}
