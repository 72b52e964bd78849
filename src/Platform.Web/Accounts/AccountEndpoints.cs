using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Platform.Data.Identity;

namespace Platform.Web.Accounts;

internal static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // Explicit antiforgery metadata: UseAntiforgery validates these posts like every Blazor form.
        app.MapPost("/account/sign-out", async (SignInManager<ApplicationUser> signIn, HttpContext context) =>
        {
            await signIn.SignOutAsync();
            context.Response.Cookies.Delete(TenantCookie.Name);
            return Results.LocalRedirect("/account/sign-in");
        }).RequireAuthorization().WithMetadata(new RequireAntiforgeryTokenAttribute());

        // A new confirmation link for the signed-in user; the page says whether one was sent.
        app.MapPost(Mail.EmailConfirmation.PagePath + "/resend", async (PortalSession session, Mail.EmailConfirmation confirmation,
            Hangfire.IBackgroundJobClient backgroundJobs, ILogger<Mail.EmailConfirmation> logger, CancellationToken cancellationToken) =>
        {
            var result = await confirmation.ResendAsync(session.UserId!.Value, cancellationToken);
            if (result == Mail.EmailConfirmation.ResendResult.Sent)
                Mail.AccountMailJobs.Kick(backgroundJobs, logger);
            return Results.LocalRedirect(Mail.EmailConfirmation.PagePath + result switch
            {
                Mail.EmailConfirmation.ResendResult.Sent => "?sent=1",
                Mail.EmailConfirmation.ResendResult.TooSoon => "?sent=soon",
                _ => "",
            });
        }).RequireAuthorization().WithMetadata(new RequireAntiforgeryTokenAttribute())
          .RequireRateLimiting(Security.RateLimitPolicies.Email);

        app.MapPost("/tenants/switch", ([FromForm] Guid tenantId, [FromForm] string? returnUrl, PortalSession session, HttpContext context) =>
        {
            // Only a tenant the user belongs to may be chosen; the middleware re-checks on every request anyway.
            if (session.Tenants.All(t => t.TenantId != tenantId))
            {
                return Results.Forbid();
            }
            TenantCookie.Write(context, tenantId);
            return Results.LocalRedirect(LocalUrl.OrRoot(returnUrl));
        }).RequireAuthorization().WithMetadata(new RequireAntiforgeryTokenAttribute());
    }
}
