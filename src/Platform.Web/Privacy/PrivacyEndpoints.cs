using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Platform.Data.Identity;
using Platform.Domain.Common;
using Platform.Jobs.Privacy;
using Platform.Web.Accounts;
using Platform.Web.Api;

namespace Platform.Web.Privacy;

/// <summary>
/// Export and erasure of an organisation: the portal's download link and forms (an owner's, on
/// /settings/data; a platform admin's, on the tenant's admin page) and the same for API keys. The
/// commands check who may (owner of the organisation, or platform admin), whatever the page showed.
/// </summary>
internal static class PrivacyEndpoints
{
    public static WebApplication MapPrivacyEndpoints(this WebApplication app)
    {
        app.MapGet("/settings/data/export", PortalExportAsync).RequireAuthorization(PortalPolicies.TenantMember);
        app.MapPost("/settings/data/erase", PortalEraseAsync).RequireAuthorization(PortalPolicies.TenantMember)
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        app.MapPost("/admin/tenants/{id:guid}/erase", AdminEraseAsync).RequireAuthorization(PortalPolicies.PlatformAdmin)
            .WithMetadata(new RequireAntiforgeryTokenAttribute());

        var api = app.MapGroup("/api/v1/organisation")
            .RequireAuthorization(ApiKeyAuthenticationHandler.Policy)
            .DisableAntiforgery()
            .WithTags("Organisation")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("/export", ApiExportAsync)
            .WithSummary("A ZIP of the organisation's data: datasets, models, jobs with events and metrics, usage, invoices (an owner's key).")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip");
        api.MapGet("/retention", ApiRetentionAsync)
            .WithSummary("What the organisation's plan keeps and for how long: days a finished job's checkpoints are kept, and its events. "
                + "Datasets, models and private base models stay until deleted or the organisation is erased.")
            .Produces<RetentionPolicy>();
        api.MapPost("/erase", ApiEraseAsync)
            .WithSummary("Erase the organisation (an owner's key): {\"confirm\": \"<the organisation's exact name>\"}. Invoices and credit notes are kept; everything else goes, rows and files. Cannot be undone.")
            .Produces<ErasureSummary>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<IResult> PortalExportAsync(ICurrentTenant current, ExportTenantCommand export, CancellationToken cancellationToken) =>
        current.TenantId is { } tenantId ? ZipOrProblem(await export.ExecuteAsync(tenantId, cancellationToken), problem: false) : Results.NotFound();

    private static async Task<IResult> ApiExportAsync(ICurrentTenant current, ExportTenantCommand export, CancellationToken cancellationToken) =>
        current.TenantId is { } tenantId ? ZipOrProblem(await export.ExecuteAsync(tenantId, cancellationToken), problem: true) : Results.NotFound();

    private static async Task<IResult> ApiRetentionAsync(ICurrentTenant current, RetentionSweep retention, CancellationToken cancellationToken) =>
        current.TenantId is { } tenantId ? Results.Ok(await retention.PolicyAsync(tenantId)) : Results.NotFound();

    private static async Task<IResult> PortalEraseAsync([FromForm] string? confirm, ICurrentTenant current, EraseTenantCommand erase,
        SignInManager<ApplicationUser> signIn, HttpContext context, CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId)
            return Results.NotFound();
        var erased = await erase.ExecuteAsync(tenantId, confirm ?? "", cancellationToken);
        if (!erased.IsSuccess)
            return Results.Redirect($"/settings/data?error={Uri.EscapeDataString(erased.Error ?? "The organisation was not erased.")}");
        context.Response.Cookies.Delete(TenantCookie.Name);
        // The owner's account went with the organisation when it was their only one: so does their sign-in.
        if (current.UserId is { } userId && erased.Value.AccountsDeleted?.Contains(userId) == true)
        {
            await signIn.SignOutAsync();
            return Results.Redirect("/account/sign-in?erased=true");
        }
        return Results.Redirect("/?erased=true");
    }

    private static async Task<IResult> AdminEraseAsync(Guid id, [FromForm] string? confirm, EraseTenantCommand erase, CancellationToken cancellationToken)
    {
        var erased = await erase.ExecuteAsync(id, confirm ?? "", cancellationToken);
        return erased.IsSuccess
            ? Results.Redirect("/admin/tenants?erased=true")
            : Results.Redirect($"/admin/tenants/{id}?eraseError={Uri.EscapeDataString(erased.Error ?? "The organisation was not erased.")}");
    }

    private static async Task<IResult> ApiEraseAsync(EraseRequest request, ICurrentTenant current, EraseTenantCommand erase, CancellationToken cancellationToken)
    {
        if (current.TenantId is not { } tenantId)
            return Results.NotFound();
        var erased = await erase.ExecuteAsync(tenantId, request.Confirm ?? "", cancellationToken);
        return erased.IsSuccess ? Results.Ok(erased.Value) : Problem(erased);
    }

    private static IResult ZipOrProblem(Result<TenantExport> export, bool problem)
    {
        if (!export.IsSuccess)
            return problem ? Problem(export) : export.Status == ResultStatus.Forbidden ? Results.Forbid() : Results.NotFound();
        var name = string.Concat(export.Value.OrganisationName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-'));
        // The stream deletes its temp file when the response has been sent and it is disposed.
        return Results.File(export.Value.Zip, "application/zip", $"{name}-export-{DateTime.UtcNow:yyyyMMdd}.zip");
    }

    private static IResult Problem(Result result) => Results.Problem(detail: result.Error ?? "The request failed.", statusCode: result.HttpStatus());

    internal sealed record EraseRequest(string? Confirm);
}
