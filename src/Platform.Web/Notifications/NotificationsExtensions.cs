using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Platform.Domain.Common;
using Platform.Web.Accounts;

namespace Platform.Web.Notifications;

public static class NotificationsExtensions
{
    public static IHostApplicationBuilder AddNotifications(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHttpClient(WebhookSender.ClientName, client => client.DefaultRequestHeaders.UserAgent.ParseAdd("Platform-Webhooks/1.0"))
            // A receiver's redirect is its problem to fix: following it would send the signed event somewhere not registered
            // (and past the address check). No proxy either: the connect step would check the proxy's address, not the endpoint's.
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = WebhookTargets.Connect(services.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateTargets),
            });
        builder.Services.AddScoped<WebhookSender>();
        builder.Services.AddScoped<WebhookStore>();
        builder.Services.AddScoped<WebhookSecrets>();
        builder.Services.AddHostedService<WebhookSecretSealing>();
        builder.Services.AddScoped<NotificationQueries>();
        builder.Services.AddHostedService<WebhookDeliveryService>();
        return builder;
    }

    /// <summary>The portal's plain form posts: remove a webhook, mark the notifications read.</summary>
    public static WebApplication MapNotifications(this WebApplication app)
    {
        app.MapPost("/settings/webhooks/{id:guid}/delete", async (Guid id, WebhookStore store, CancellationToken cancellationToken) =>
                (await store.DeleteAsync(id, cancellationToken)).Status switch
                {
                    ResultStatus.Success => Results.Redirect("/settings/webhooks?removed=true"),
                    ResultStatus.NotFound => Results.NotFound(),
                    ResultStatus.Forbidden => Results.Forbid(),
                    _ => Results.BadRequest(),
                })
            .RequireAuthorization(PortalPolicies.TenantMember).WithMetadata(new RequireAntiforgeryTokenAttribute());
        app.MapPost("/notifications/read", async (NotificationQueries notifications, CancellationToken cancellationToken) =>
            {
                await notifications.MarkAllReadAsync(cancellationToken);
                return Results.Redirect("/notifications");
            })
            .RequireAuthorization(PortalPolicies.TenantMember).WithMetadata(new RequireAntiforgeryTokenAttribute());
        return app;
    }
}
