using Platform.Billing.Stripe;
using Platform.Domain.Common;

namespace Platform.Web.Billing;

public static class StripeWebhookEndpoint
{
    /// <summary>Largest event body accepted; Stripe's events are a few kilobytes.</summary>
    private const int MaxBodyBytes = 512 * 1024;

    /// <summary>
    /// POST /webhooks/stripe: Stripe signs the raw body, so it is read as text, unparsed, and handed to
    /// billing with the headers. No cookie, no antiforgery: the signature is the authentication.
    /// </summary>
    public static IEndpointRouteBuilder MapStripeWebhook(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/stripe", async (HttpContext http, StripeWebhookHandler handler, CancellationToken cancellationToken) =>
        {
            if (http.Request.ContentLength > MaxBodyBytes)
                return Results.Problem("The event is too large.", statusCode: StatusCodes.Status413PayloadTooLarge);
            string body;
            try
            {
                // A chunked body has no length to check up front: Kestrel stops at the endpoint's limit
                // (the metadata below) instead of reading megabytes before the refusal.
                using var reader = new StreamReader(http.Request.Body);
                body = await reader.ReadToEndAsync(cancellationToken);
            }
            catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Results.Problem("The event is too large.", statusCode: StatusCodes.Status413PayloadTooLarge);
            }
            var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
            var result = await handler.HandleAsync(headers, body, cancellationToken);
            return result.Status switch
            {
                ResultStatus.Success => Results.Ok(new { outcome = result.Value.ToString() }),
                ResultStatus.Forbidden => Results.Problem(result.Error, statusCode: StatusCodes.Status503ServiceUnavailable),
                _ => Results.Problem(result.Error, statusCode: StatusCodes.Status400BadRequest),
            };
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription()
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxBodyBytes));
        return app;
    }
}
