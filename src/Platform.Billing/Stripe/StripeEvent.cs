using System.Text.Json;

namespace Platform.Billing.Stripe;

/// <summary>The fields of a Stripe event object the handler acts on.</summary>
internal sealed record StripeEvent(string Id, string Type, DateTimeOffset Created, string ObjectId, string? ObjectStatus,
    Guid? PlatformInvoiceId)
{
    public static StripeEvent Parse(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.GetProperty("object").GetString() != "event")
            throw new InvalidOperationException("Not an event.");
        var data = root.GetProperty("data").GetProperty("object");
        Guid? platformId = null;
        if (data.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("platform_invoice_id", out var value) && Guid.TryParse(value.GetString(), out var parsed))
            platformId = parsed;
        return new StripeEvent(
            root.GetProperty("id").GetString() ?? throw new InvalidOperationException("No id."),
            root.GetProperty("type").GetString() ?? throw new InvalidOperationException("No type."),
            DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("created").GetInt64()),
            data.GetProperty("id").GetString() ?? throw new InvalidOperationException("No object id."),
            data.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String ? status.GetString() : null,
            platformId);
    }
}
