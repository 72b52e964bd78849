using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Billing.Stripe;

/// <summary>Stripe answered with an error that retrying will not fix (or retries ran out).</summary>
public sealed class StripeApiException(HttpStatusCode status, string? type, string message)
    : Exception($"Stripe returned {(int)status}: {message}")
{
    public HttpStatusCode Status { get; } = status;

    public string? ErrorType { get; } = type;
}

/// <summary>
/// The few Stripe endpoints billing uses, over HttpClient (Stripe.net is not in the registry).
/// Every POST carries an Idempotency-Key chosen by the caller from our own ids, so a retry (ours,
/// or a whole command run again) can never create a second object or a second meter event. 429 and
/// 5xx (and network faults) are retried with exponential backoff under the same key, unless Stripe
/// says Stripe-Should-Retry: false. The secret key goes into the Authorization header only: it is
/// never logged, and log lines name the method, path and status.
/// </summary>
public sealed class StripeClient(HttpClient http, IOptions<StripeOptions> options, ILogger<StripeClient> logger)
{
    /// <summary>The first retry's delay; doubled for each further one. Tests shorten it.</summary>
    internal TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public bool Enabled => options.Value.Enabled;

    public async Task<string> CreateCustomerAsync(Guid tenantId, string name, CancellationToken cancellationToken = default)
    {
        using var json = await PostAsync("/v1/customers", $"customer-{tenantId:N}",
            [new("name", name), new("metadata[tenant_id]", tenantId.ToString())], cancellationToken);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    public async Task<(string Id, string Status)> CreateSubscriptionAsync(Guid tenantId, string customerId, IReadOnlyList<string> priceIds,
        CancellationToken cancellationToken = default)
    {
        var fields = new List<KeyValuePair<string, string>> { new("customer", customerId), new("metadata[tenant_id]", tenantId.ToString()) };
        for (var i = 0; i < priceIds.Count; i++)
            fields.Add(new($"items[{i}][price]", priceIds[i]));
        using var json = await PostAsync("/v1/subscriptions", $"subscription-{tenantId:N}-{string.Join('-', priceIds)}", fields, cancellationToken);
        return (json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("status").GetString()!);
    }

    /// <summary>One billing meter event; its identifier is the ledger key, so Stripe counts each segment once.</summary>
    public async Task SendMeterEventAsync(string eventName, string customerId, long value, string identifier, DateTimeOffset timestamp,
        CancellationToken cancellationToken = default)
    {
        using var _ = await PostAsync("/v1/billing/meter_events", $"meter-{identifier}",
        [
            new("event_name", eventName),
            new("payload[stripe_customer_id]", customerId),
            new("payload[value]", value.ToString(CultureInfo.InvariantCulture)),
            new("identifier", identifier),
            new("timestamp", timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ], cancellationToken);
    }

    /// <summary>A draft Stripe invoice mirroring ours (metadata links the two; webhooks find ours by it).</summary>
    public async Task<string> CreateInvoiceAsync(Guid platformInvoiceId, string customerId, string currency,
        CancellationToken cancellationToken = default)
    {
        using var json = await PostAsync("/v1/invoices", $"invoice-{platformInvoiceId:N}",
        [
            new("customer", customerId),
            new("currency", currency.ToLowerInvariant()),
            new("collection_method", "send_invoice"),
            new("days_until_due", "30"),
            new("metadata[platform_invoice_id]", platformInvoiceId.ToString()),
        ], cancellationToken);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    public async Task AddInvoiceItemAsync(string stripeInvoiceId, string customerId, long amountMinor, string currency, string description,
        string idempotencyKey, CancellationToken cancellationToken = default)
    {
        using var _ = await PostAsync("/v1/invoiceitems", idempotencyKey,
        [
            new("customer", customerId),
            new("invoice", stripeInvoiceId),
            new("amount", amountMinor.ToString(CultureInfo.InvariantCulture)),
            new("currency", currency.ToLowerInvariant()),
            new("description", description),
        ], cancellationToken);
    }

    public async Task<string> FinalizeInvoiceAsync(string stripeInvoiceId, CancellationToken cancellationToken = default)
    {
        using var json = await PostAsync($"/v1/invoices/{Uri.EscapeDataString(stripeInvoiceId)}/finalize", $"finalize-{stripeInvoiceId}", [],
            cancellationToken);
        return json.RootElement.GetProperty("status").GetString()!;
    }

    public async Task<JsonDocument> GetInvoiceAsync(string stripeInvoiceId, CancellationToken cancellationToken = default) =>
        await SendAsync(HttpMethod.Get, $"/v1/invoices/{Uri.EscapeDataString(stripeInvoiceId)}", null, null, cancellationToken);

    private Task<JsonDocument> PostAsync(string path, string idempotencyKey, IReadOnlyList<KeyValuePair<string, string>> fields,
        CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, idempotencyKey, fields, cancellationToken);

    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, string? idempotencyKey,
        IReadOnlyList<KeyValuePair<string, string>>? fields, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
            throw new InvalidOperationException("Stripe is not configured (Stripe:SecretKey); billing runs from the ledger alone.");
        var uri = new Uri(new Uri(settings.BaseUrl), path);
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, uri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.SecretKey);
            if (idempotencyKey is not null)
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            if (fields is not null)
                request.Content = new FormUrlEncodedContent(fields);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException e) when (attempt < settings.MaxRetries)
            {
                logger.LogWarning("Stripe {Method} {Path} failed ({Error}); retrying", method, path, e.Message);
                await Task.Delay(Delay(attempt), cancellationToken);
                continue;
            }
            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.IsSuccessStatusCode)
                    return JsonDocument.Parse(body);
                var retryable = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
                if (response.Headers.TryGetValues("Stripe-Should-Retry", out var should) && should.FirstOrDefault() is { } flag)
                    retryable = flag == "true";
                if (retryable && attempt < settings.MaxRetries)
                {
                    logger.LogWarning("Stripe {Method} {Path} returned {Status}; retrying", method, path, (int)response.StatusCode);
                    await Task.Delay(Delay(attempt), cancellationToken);
                    continue;
                }
                var (type, message) = ReadError(body);
                logger.LogError("Stripe {Method} {Path} returned {Status} ({Type})", method, path, (int)response.StatusCode, type);
                throw new StripeApiException(response.StatusCode, type, message);
            }
        }
    }

    // Full jitter keeps many workers that failed together from retrying together.
    private TimeSpan Delay(int attempt) => BaseDelay * Math.Pow(2, attempt) * (0.5 + Random.Shared.NextDouble() / 2);

    private static (string? Type, string Message) ReadError(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var error = json.RootElement.GetProperty("error");
            return (error.TryGetProperty("type", out var t) ? t.GetString() : null,
                error.TryGetProperty("message", out var m) ? m.GetString() ?? "no message" : "no message");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, "unreadable error body");
        }
    }
}
