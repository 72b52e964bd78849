using Platform.Web.Notifications;

namespace Platform.Web.Api;

/// <summary>A registered endpoint; its secret is in the answer to POST only.</summary>
public sealed record WebhookDto(Guid Id, string Url, DateTimeOffset CreatedAt);

public sealed record CreateWebhookDto(string? Url);

/// <summary>The new webhook with its signing secret (shown once): verify <c>Platform-Signature</c> with it (docs/webhooks.md).</summary>
public sealed record CreatedWebhookDto(Guid Id, string Url, string Secret, DateTimeOffset CreatedAt);

/// <summary>One event to one endpoint: state is pending, retrying, delivered or failed (given up).</summary>
public sealed record WebhookDeliveryDto(Guid Id, Guid WebhookId, Guid EventId, string EventType, string State, int Attempts, int? LastStatus,
    string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt);

/// <summary>/api/v1/webhooks: owners register and remove endpoints; the delivery log for any key of the organisation.</summary>
internal static class WebhookApi
{
    public static void MapWebhookApi(this RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/webhooks").WithTags("Webhooks");
        hooks.MapGet("", ListAsync).WithName("listWebhooks").WithSummary("The organisation's webhooks, oldest first; never their secrets.")
            .Produces<Page<WebhookDto>>().ProducesProblem(StatusCodes.Status400BadRequest);
        hooks.MapPost("", CreateAsync).WithName("createWebhook")
            .WithSummary("Register an endpoint (owners): {\"url\": \"https://...\"}. It receives job.succeeded, job.failed and job.cancelled, signed; the secret is in the answer only.")
            .Produces<CreatedWebhookDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        hooks.MapPost("/{id:guid}/rotate-secret", RotateSecretAsync).WithName("rotateWebhookSecret")
            .WithSummary("Replace the webhook's signing secret (owners): the new one is in the answer only; deliveries from now on are signed with it.")
            .Produces<CreatedWebhookDto>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        hooks.MapDelete("/{id:guid}", DeleteAsync).WithName("deleteWebhook").WithSummary("Remove a webhook (owners): no more deliveries; its log stays.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        hooks.MapGet("/deliveries", DeliveriesAsync).WithName("listWebhookDeliveries")
            .WithSummary($"The delivery log: the newest {WebhookStore.LogLength} deliveries with their attempts and last answers.")
            .Produces<Page<WebhookDeliveryDto>>().ProducesProblem(StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> ListAsync(HttpRequest request, WebhookStore store, CancellationToken cancellationToken)
    {
        if (!PageQuery.TryParse(request, out var page, out var problem))
            return problem!;
        var all = (await store.ListAsync(cancellationToken)).Select(h => new WebhookDto(h.Id, h.Url, h.CreatedAt)).ToList();
        return page.TryPageOf(all, h => h.Id.ToString(), out var result, out problem) ? Results.Ok(result) : problem!;
    }

    private static async Task<IResult> CreateAsync(CreateWebhookDto request, WebhookStore store, CancellationToken cancellationToken)
    {
        var created = await store.CreateAsync(request.Url, cancellationToken);
        return created.IsSuccess
            ? Results.Created($"/api/v1/webhooks/{created.Value.Id}", new CreatedWebhookDto(created.Value.Id, created.Value.Url, created.Value.Secret, created.Value.CreatedAt))
            : ApiProblem.From(created, created.Status == Platform.Domain.Common.ResultStatus.BadRequest ? "url" : null);
    }

    private static async Task<IResult> RotateSecretAsync(Guid id, WebhookStore store, CancellationToken cancellationToken)
    {
        var rotated = await store.RotateSecretAsync(id, cancellationToken);
        return rotated.IsSuccess
            ? Results.Ok(new CreatedWebhookDto(rotated.Value.Id, rotated.Value.Url, rotated.Value.Secret, rotated.Value.CreatedAt))
            : ApiProblem.From(rotated);
    }

    private static async Task<IResult> DeleteAsync(Guid id, WebhookStore store, CancellationToken cancellationToken)
    {
        var deleted = await store.DeleteAsync(id, cancellationToken);
        return deleted.IsSuccess ? Results.NoContent() : ApiProblem.From(deleted);
    }

    private static async Task<IResult> DeliveriesAsync(HttpRequest request, WebhookStore store, CancellationToken cancellationToken)
    {
        if (!PageQuery.TryParse(request, out var page, out var problem))
            return problem!;
        var all = (await store.DeliveriesAsync(cancellationToken: cancellationToken))
            .Select(d => new WebhookDeliveryDto(d.Id, d.WebhookId, d.EventId, d.EventType, d.State, d.Attempts, d.LastStatus, d.LastError, d.CreatedAt,
                d.LastAttemptAt, d.NextAttemptAt, d.DeliveredAt))
            .ToList();
        return page.TryPageOf(all, d => d.Id.ToString(), out var result, out problem) ? Results.Ok(result) : problem!;
    }
}
