using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Stripe;

namespace Platform.Billing.Tests.Stripe;

/// <summary>
/// A local Stripe for the endpoints billing uses, following Stripe's documented behaviour: form
/// posts with a Bearer secret key (401 without); Idempotency-Key replays the first response for the
/// same parameters and refuses other parameters (400 idempotency_error); billing meter events are
/// counted once per identifier; invoices go draft -> open on finalize. Answers carry the API's object
/// shapes (id, object, created, livemode, ...) so that Stripe.net deserializes them as it does
/// Stripe's. <see cref="FailNext"/> makes the next requests fail as Stripe's rate limiter, a lock
/// timeout or an outage would, before any work is done. Webhooks are signed as Stripe documents
/// (HMAC-SHA256 of "{t}.{body}", computed here independently of Stripe.net).
/// </summary>
public sealed class StripeStandIn : IAsyncDisposable
{
    public const string SecretKey = "sk_test_standin";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (string Parameters, int Status, string Body)> _idempotency = new();
    private readonly ConcurrentQueue<(int Status, string Type, string? Code, bool? ShouldRetry)> _failures = new();
    private readonly ConcurrentDictionary<string, (int Count, int Status)> _pathFailures = new();
    private int _next;

    public ConcurrentDictionary<string, long> MeterEvents { get; } = new();

    public ConcurrentDictionary<string, Dictionary<string, string>> Invoices { get; } = new();

    public ConcurrentBag<string> Customers { get; } = [];

    /// <summary>Credit notes by id: invoice, amount (minor units) and our credit note's id from metadata.</summary>
    public ConcurrentDictionary<string, Dictionary<string, string>> CreditNotes { get; } = new();

    /// <summary>Tax rates by id: percentage, display name, jurisdiction, inclusive.</summary>
    public ConcurrentDictionary<string, Dictionary<string, string>> TaxRates { get; } = new();

    /// <summary>Invoice items created without an invoice: pending on the customer for its next invoice.</summary>
    public ConcurrentQueue<Dictionary<string, string>> PendingInvoiceItems { get; } = new();

    /// <summary>Stripe's clock: meter events are judged against it (tests set it to theirs).</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>Every request received, in order: what the client sent, whatever the answer.</summary>
    public ConcurrentQueue<StandInRequest> Received { get; } = new();

    public int Requests => Received.Count;

    private StripeStandIn(WebApplication app) => _app = app;

    public string BaseUrl => _app.Urls.First();

    public static async Task<StripeStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new StripeStandIn(app);
        app.Run(standIn.HandleAsync);
        await app.StartAsync();
        return standIn;
    }

    /// <summary>
    /// The next <paramref name="count"/> requests fail with <paramref name="status"/> (429: rate_limit_error,
    /// or lock_timeout when <paramref name="shouldRetry"/> is true; 5xx: api_error). A non-null
    /// <paramref name="shouldRetry"/> is sent as Stripe-Should-Retry, as Stripe does when it knows.
    /// </summary>
    public void FailNext(int count, int status, bool? shouldRetry = null)
    {
        var (type, code) = status == 429 ? ("rate_limit_error", shouldRetry == true ? "lock_timeout" : "rate_limit") : ("api_error", (string?)null);
        for (var i = 0; i < count; i++)
            _failures.Enqueue((status, type, code, shouldRetry));
    }

    /// <summary>Stripe keeps idempotency keys about 24 hours: after this, a key is new again.</summary>
    public void ForgetIdempotencyKeys() => _idempotency.Clear();

    /// <summary>The next <paramref name="count"/> requests to <paramref name="path"/> fail with <paramref name="status"/> (api_error).</summary>
    public void FailPath(string path, int count, int status) => _pathFailures[path] = (count, status);

    /// <summary>A Stripe-Signature header for <paramref name="body"/> signed at <paramref name="at"/> with each secret given.</summary>
    public static string SignatureHeader(string body, DateTimeOffset at, params string[] secrets)
    {
        var t = at.ToUnixTimeSeconds();
        var signatures = secrets.Select(s => "v1=" + Convert.ToHexString(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes($"{t}.{body}"))).ToLowerInvariant());
        return $"t={t}," + string.Join(",", signatures);
    }

    /// <summary>
    /// A webhook event as Stripe renders it for an endpoint on <paramref name="apiVersion"/> (by default
    /// the version Stripe.net is pinned to).
    /// </summary>
    public static string Event(string id, string type, object dataObject, DateTimeOffset created, string? apiVersion = null) =>
        JsonSerializer.Serialize(new
        {
            id,
            @object = "event",
            api_version = apiVersion ?? StripeConfiguration.ApiVersion,
            created = created.ToUnixTimeSeconds(),
            data = new { @object = dataObject },
            livemode = false,
            pending_webhooks = 1,
            request = new { id = (string?)null, idempotency_key = (string?)null },
            type,
        });

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var key = request.Headers["Idempotency-Key"].ToString();
        Received.Enqueue(new StandInRequest(request.Method, request.Path.Value ?? "", key.Length > 0 ? key : null,
            request.Headers["Stripe-Version"].ToString()));
        if (request.Headers.Authorization.ToString() != $"Bearer {SecretKey}")
        {
            await WriteAsync(context, 401, Error("invalid_request_error", null, "Invalid API Key provided."));
            return;
        }
        if (_failures.TryDequeue(out var failure))
        {
            if (failure.ShouldRetry is { } retry)
                context.Response.Headers["Stripe-Should-Retry"] = retry ? "true" : "false";
            await WriteAsync(context, failure.Status, Error(failure.Type, failure.Code, "Try again."));
            return;
        }
        if (_pathFailures.TryGetValue(request.Path.Value ?? "", out var pathFailure) && pathFailure.Count > 0)
        {
            _pathFailures[request.Path.Value ?? ""] = (pathFailure.Count - 1, pathFailure.Status);
            await WriteAsync(context, pathFailure.Status, Error("api_error", null, "Try again."));
            return;
        }
        var form = request.HasFormContentType ? await request.ReadFormAsync() : null;
        var parameters = form is null ? "" : string.Join("&", form.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}"));
        if (request.Method == "POST" && key.Length > 0 && _idempotency.TryGetValue(key, out var earlier))
        {
            if (earlier.Parameters != parameters)
            {
                await WriteAsync(context, 400, Error("idempotency_error", null,
                    "Keys for idempotent requests can only be used with the same parameters they were first used with."));
                return;
            }
            context.Response.Headers["Idempotent-Replayed"] = "true";
            await WriteAsync(context, earlier.Status, earlier.Body);
            return;
        }
        var (status, body) = Route(request.Method, request.Path.Value ?? "", form);
        if (request.Method == "POST" && key.Length > 0)
            _idempotency.TryAdd(key, (parameters, status, body));
        await WriteAsync(context, status, body);
    }

    private (int, string) Route(string method, string path, IFormCollection? form)
    {
        string F(string name) => form?[name].ToString() ?? "";
        var now = Now().ToUnixTimeSeconds();
        switch (method, path)
        {
            case ("POST", "/v1/customers"):
                var customer = $"cus_{Interlocked.Increment(ref _next)}";
                Customers.Add(customer);
                return (200, JsonSerializer.Serialize(new
                {
                    id = customer, @object = "customer", created = now, livemode = false, name = F("name"),
                    metadata = Metadata(form),
                }));
            case ("POST", "/v1/subscriptions"):
                var subscription = $"sub_{Interlocked.Increment(ref _next)}";
                var prices = form?.Keys.Where(k => k.StartsWith("items[", StringComparison.Ordinal) && k.EndsWith("][price]", StringComparison.Ordinal))
                    .Select(k => form[k].ToString()).ToList() ?? [];
                return (200, JsonSerializer.Serialize(new
                {
                    id = subscription, @object = "subscription", created = now, livemode = false, customer = F("customer"),
                    status = "active", metadata = Metadata(form),
                    items = new
                    {
                        @object = "list", has_more = false, url = $"/v1/subscription_items?subscription={subscription}",
                        data = prices.Select(price => new
                        {
                            id = $"si_{Interlocked.Increment(ref _next)}", @object = "subscription_item", created = now, quantity = 1,
                            subscription, price = new { id = price, @object = "price" },
                        }),
                    },
                }));
            case ("POST", "/v1/billing/meter_events"):
                if (F("event_name").Length == 0 || F("payload[stripe_customer_id]").Length == 0 || !long.TryParse(F("payload[value]"), out var value))
                    return (400, Error("invalid_request_error", "parameter_missing", "Missing event_name, payload[stripe_customer_id] or payload[value]."));
                if (!Customers.Contains(F("payload[stripe_customer_id]")))
                    return (400, Error("invalid_request_error", "resource_missing", $"No such customer: '{F("payload[stripe_customer_id]")}'"));
                // Stripe accepts meter events up to 35 days old (and 5 minutes ahead): anything older is refused for good.
                if (long.TryParse(F("timestamp"), out var stamp) && stamp < now - 35 * 86400)
                    return (400, Error("invalid_request_error", "timestamp_too_far_in_past",
                        "Timestamp must be within the past 35 calendar days."));
                // Stripe enforces identifier uniqueness: a second event with one identifier is not counted again.
                MeterEvents.TryAdd(F("identifier"), value);
                return (200, JsonSerializer.Serialize(new
                {
                    @object = "billing.meter_event", created = now, livemode = false, event_name = F("event_name"), identifier = F("identifier"),
                    payload = new Dictionary<string, string> { ["stripe_customer_id"] = F("payload[stripe_customer_id]"), ["value"] = F("payload[value]") },
                    timestamp = long.TryParse(F("timestamp"), out var at) ? at : now,
                }));
            case ("POST", "/v1/invoices"):
                var invoice = $"in_{Interlocked.Increment(ref _next)}";
                Invoices[invoice] = new()
                {
                    ["status"] = "draft", ["amount_due"] = "0", ["total"] = "0", ["credited"] = "0", ["customer"] = F("customer"), ["currency"] = F("currency"),
                    ["collection_method"] = F("collection_method"), ["platform_invoice_id"] = F("metadata[platform_invoice_id]"),
                    ["tax"] = "0", ["automatic_tax"] = F("automatic_tax[enabled]"), ["footer"] = F("footer"),
                    ["days_until_due"] = F("days_until_due"),
                };
                return (200, InvoiceJson(invoice));
            case ("POST", "/v1/invoiceitems") when F("invoice").Length == 0:
                if (!Customers.Contains(F("customer")) || !long.TryParse(F("amount"), out var pendingAmount))
                    return (400, Error("invalid_request_error", null, "Unknown customer or invalid amount."));
                PendingInvoiceItems.Enqueue(new()
                {
                    ["customer"] = F("customer"), ["amount"] = pendingAmount.ToString(), ["currency"] = F("currency"),
                    ["description"] = F("description"), ["subscription"] = F("subscription"),
                    ["period_start"] = F("period[start]"), ["period_end"] = F("period[end]"),
                });
                return (200, JsonSerializer.Serialize(new
                {
                    id = $"ii_{Interlocked.Increment(ref _next)}", @object = "invoiceitem", amount = pendingAmount, currency = F("currency"),
                    customer = F("customer"), date = now, description = F("description"), livemode = false, metadata = new { },
                }));
            case ("POST", "/v1/credit_notes"):
                if (!Invoices.TryGetValue(F("invoice"), out var credited) || credited["status"] is not ("open" or "paid"))
                    return (400, Error("invalid_request_error", null, "A credit note needs a finalized invoice."));
                if (!long.TryParse(F("amount"), out var creditAmount) || creditAmount <= 0 || creditAmount > long.Parse(credited["total"]) - long.Parse(credited["credited"]))
                    return (400, Error("invalid_request_error", "credit_note_amount_too_large", "The credit note's amount exceeds what is left on the invoice."));
                credited["credited"] = (long.Parse(credited["credited"]) + creditAmount).ToString();
                // On an open invoice a credit note lowers what is due; on a paid one it becomes a refund or customer balance.
                if (credited["status"] == "open")
                    credited["amount_due"] = Math.Max(0, long.Parse(credited["amount_due"]) - creditAmount).ToString();
                var creditNote = $"cn_{Interlocked.Increment(ref _next)}";
                CreditNotes[creditNote] = new()
                {
                    ["invoice"] = F("invoice"), ["amount"] = creditAmount.ToString(), ["reason"] = F("reason"),
                    ["platform_credit_note_id"] = F("metadata[platform_credit_note_id]"),
                };
                return (200, JsonSerializer.Serialize(new
                {
                    id = creditNote, @object = "credit_note", amount = creditAmount, created = now, currency = credited["currency"],
                    invoice = F("invoice"), livemode = false, memo = F("memo"), metadata = Metadata(form), status = "issued", type = "pre_payment",
                    total = creditAmount,
                }));
            case ("POST", "/v1/tax_rates"):
                if (F("display_name").Length == 0 || !decimal.TryParse(F("percentage"), System.Globalization.CultureInfo.InvariantCulture, out var percentage)
                    || F("inclusive") is not ("true" or "false"))
                    return (400, Error("invalid_request_error", "parameter_missing", "display_name, percentage and inclusive are required."));
                var taxRate = $"txr_{Interlocked.Increment(ref _next)}";
                TaxRates[taxRate] = new()
                {
                    ["percentage"] = F("percentage"), ["display_name"] = F("display_name"), ["jurisdiction"] = F("jurisdiction"),
                    ["country"] = F("country"), ["state"] = F("state"), ["inclusive"] = F("inclusive"),
                };
                return (200, JsonSerializer.Serialize(new
                {
                    id = taxRate, @object = "tax_rate", active = true, created = now, display_name = F("display_name"), inclusive = F("inclusive") == "true",
                    jurisdiction = F("jurisdiction"), livemode = false, metadata = new { }, percentage,
                }));
            case ("POST", "/v1/invoiceitems"):
                if (!Invoices.TryGetValue(F("invoice"), out var target) || target["status"] != "draft")
                    return (400, Error("invalid_request_error", null, "Invoice items can only be added to a draft invoice."));
                if (!long.TryParse(F("amount"), out var amount))
                    return (400, Error("invalid_request_error", "parameter_invalid_integer", "Invalid integer: amount."));
                // An exclusive tax rate adds its tax to each item, rounded to the minor unit per item.
                var itemTax = 0L;
                foreach (var rateId in form!.Keys.Where(k => k.StartsWith("tax_rates[", StringComparison.Ordinal)).Select(k => form[k].ToString()))
                {
                    if (!TaxRates.TryGetValue(rateId, out var rate))
                        return (400, Error("invalid_request_error", "resource_missing", $"No such tax rate: '{rateId}'"));
                    itemTax += (long)Math.Round(amount * decimal.Parse(rate["percentage"], System.Globalization.CultureInfo.InvariantCulture) / 100m, MidpointRounding.AwayFromZero);
                }
                target["tax"] = (long.Parse(target["tax"]) + itemTax).ToString();
                target["amount_due"] = (long.Parse(target["amount_due"]) + amount + itemTax).ToString();
                target["total"] = (long.Parse(target["total"]) + amount + itemTax).ToString();
                return (200, JsonSerializer.Serialize(new
                {
                    id = $"ii_{Interlocked.Increment(ref _next)}", @object = "invoiceitem", amount, currency = F("currency"),
                    customer = F("customer"), date = now, description = F("description"), invoice = F("invoice"), livemode = false,
                    metadata = new { },
                }));
            case ("POST", _) when path.StartsWith("/v1/invoices/") && path.EndsWith("/finalize"):
                var id = path["/v1/invoices/".Length..^"/finalize".Length];
                if (!Invoices.TryGetValue(id, out var found))
                    return (404, Error("invalid_request_error", "resource_missing", $"No such invoice: '{id}'"));
                if (found["status"] != "draft")
                    return (400, Error("invalid_request_error", "invoice_not_editable", "This invoice is already finalized."));
                found["status"] = "open";
                return (200, InvoiceJson(id));
            default:
                return (404, Error("invalid_request_error", null, $"Unrecognized request URL ({method}: {path})."));
        }
    }

    private static Dictionary<string, string> Metadata(IFormCollection? form) =>
        form?.Keys.Where(k => k.StartsWith("metadata[", StringComparison.Ordinal))
            .ToDictionary(k => k["metadata[".Length..^1], k => form[k].ToString()) ?? [];

    private string InvoiceJson(string id)
    {
        var invoice = Invoices[id];
        var amountDue = long.Parse(invoice["amount_due"]);
        return JsonSerializer.Serialize(new
        {
            id,
            @object = "invoice",
            amount_due = amountDue,
            collection_method = invoice["collection_method"],
            created = Now().ToUnixTimeSeconds(),
            currency = invoice["currency"],
            customer = invoice["customer"],
            livemode = false,
            metadata = new { platform_invoice_id = invoice["platform_invoice_id"] },
            status = invoice["status"],
            tax = long.Parse(invoice["tax"]),
            total = long.Parse(invoice["total"]),
        });
    }

    private static string Error(string type, string? code, string message) => JsonSerializer.Serialize(new { error = new { type, code, message } });

    private static async Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request as the stand-in received it.</summary>
public sealed record StandInRequest(string Method, string Path, string? IdempotencyKey, string StripeVersion);
