using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.Billing.Tests.Stripe;

/// <summary>
/// A local Stripe for the endpoints billing uses, following Stripe's documented behaviour: form
/// posts with a Bearer secret key (401 without); Idempotency-Key replays the first response for the
/// same parameters and refuses other parameters (400 idempotency_error); billing meter events are
/// counted once per identifier; invoices go draft -> open on finalize. <see cref="FailNext"/> makes
/// the next requests fail as Stripe's rate limiter or an outage would, before any work is done.
/// Webhooks are signed as Stripe documents (HMAC-SHA256 of "{t}.{body}", computed here independently).
/// </summary>
public sealed class StripeStandIn : IAsyncDisposable
{
    public const string SecretKey = "sk_test_standin";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (string Parameters, int Status, string Body)> _idempotency = new();
    private readonly ConcurrentQueue<int> _failures = new();
    private int _next;

    public ConcurrentDictionary<string, long> MeterEvents { get; } = new();

    public ConcurrentDictionary<string, Dictionary<string, string>> Invoices { get; } = new();

    public ConcurrentBag<string> Customers { get; } = [];

    public int Requests;

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

    public void FailNext(int count, int status)
    {
        for (var i = 0; i < count; i++)
            _failures.Enqueue(status);
    }

    /// <summary>A Stripe-Signature header for <paramref name="body"/> signed at <paramref name="at"/> with each secret given.</summary>
    public static string SignatureHeader(string body, DateTimeOffset at, params string[] secrets)
    {
        var t = at.ToUnixTimeSeconds();
        var signatures = secrets.Select(s => "v1=" + Convert.ToHexString(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes($"{t}.{body}"))).ToLowerInvariant());
        return $"t={t}," + string.Join(",", signatures);
    }

    public static string Event(string id, string type, object dataObject, DateTimeOffset created) => JsonSerializer.Serialize(new
    {
        id,
        @object = "event",
        type,
        created = created.ToUnixTimeSeconds(),
        livemode = false,
        data = new { @object = dataObject },
    });

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref Requests);
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {SecretKey}")
        {
            await WriteAsync(context, 401, Error("invalid_request_error", "Invalid API Key provided."));
            return;
        }
        if (_failures.TryDequeue(out var failure))
        {
            await WriteAsync(context, failure, Error(failure == 429 ? "rate_limit_error" : "api_error", "Try again."));
            return;
        }
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
        var parameters = form is null ? "" : string.Join("&", form.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}"));
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        if (context.Request.Method == "POST" && key.Length > 0 && _idempotency.TryGetValue(key, out var earlier))
        {
            if (earlier.Parameters != parameters)
            {
                await WriteAsync(context, 400, Error("idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with."));
                return;
            }
            context.Response.Headers["Idempotent-Replayed"] = "true";
            await WriteAsync(context, earlier.Status, earlier.Body);
            return;
        }
        var (status, body) = Route(context.Request.Method, context.Request.Path.Value ?? "", form);
        if (context.Request.Method == "POST" && key.Length > 0)
            _idempotency.TryAdd(key, (parameters, status, body));
        await WriteAsync(context, status, body);
    }

    private (int, string) Route(string method, string path, IFormCollection? form)
    {
        string F(string name) => form?[name].ToString() ?? "";
        switch (method, path)
        {
            case ("POST", "/v1/customers"):
                var customer = $"cus_{Interlocked.Increment(ref _next)}";
                Customers.Add(customer);
                return (200, JsonSerializer.Serialize(new { id = customer, @object = "customer", name = F("name") }));
            case ("POST", "/v1/subscriptions"):
                return (200, JsonSerializer.Serialize(new { id = $"sub_{Interlocked.Increment(ref _next)}", @object = "subscription", status = "active" }));
            case ("POST", "/v1/billing/meter_events"):
                if (F("event_name").Length == 0 || F("payload[stripe_customer_id]").Length == 0 || !long.TryParse(F("payload[value]"), out var value))
                    return (400, Error("invalid_request_error", "Missing event_name, payload[stripe_customer_id] or payload[value]."));
                // Stripe enforces identifier uniqueness: a second event with one identifier is not counted again.
                MeterEvents.TryAdd(F("identifier"), value);
                return (200, JsonSerializer.Serialize(new { @object = "billing.meter_event", event_name = F("event_name"), identifier = F("identifier") }));
            case ("POST", "/v1/invoices"):
                var invoice = $"in_{Interlocked.Increment(ref _next)}";
                Invoices[invoice] = new() { ["status"] = "draft", ["platform_invoice_id"] = F("metadata[platform_invoice_id]") };
                return (200, InvoiceJson(invoice));
            case ("POST", "/v1/invoiceitems"):
                if (!Invoices.TryGetValue(F("invoice"), out var target) || target["status"] != "draft")
                    return (400, Error("invalid_request_error", "Invoice items can only be added to a draft invoice."));
                if (!long.TryParse(F("amount"), out var amount))
                    return (400, Error("invalid_request_error", "Invalid integer: amount."));
                target["amount_due"] = ((target.TryGetValue("amount_due", out var due) ? long.Parse(due) : 0) + amount).ToString();
                return (200, JsonSerializer.Serialize(new { id = $"ii_{Interlocked.Increment(ref _next)}", @object = "invoiceitem", amount }));
            case ("POST", _) when path.StartsWith("/v1/invoices/") && path.EndsWith("/finalize"):
                var id = path["/v1/invoices/".Length..^"/finalize".Length];
                if (!Invoices.TryGetValue(id, out var found))
                    return (404, Error("invalid_request_error", "No such invoice."));
                if (found["status"] != "draft")
                    return (400, Error("invalid_request_error", "This invoice is already finalized."));
                found["status"] = "open";
                return (200, InvoiceJson(id));
            case ("GET", _) when path.StartsWith("/v1/invoices/"):
                var get = path["/v1/invoices/".Length..];
                return Invoices.ContainsKey(get) ? (200, InvoiceJson(get)) : (404, Error("invalid_request_error", "No such invoice."));
            default:
                return (404, Error("invalid_request_error", $"Unrecognized request URL ({method}: {path})."));
        }
    }

    private string InvoiceJson(string id) => JsonSerializer.Serialize(new
    {
        id,
        @object = "invoice",
        status = Invoices[id]["status"],
        metadata = new { platform_invoice_id = Invoices[id]["platform_invoice_id"] },
    });

    private static string Error(string type, string message) => JsonSerializer.Serialize(new { error = new { type, message } });

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
