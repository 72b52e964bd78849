using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Domain.Common;
using Platform.Jobs.Catalog;
using Platform.Jobs.Catalog.Imports;
using Platform.Web.Accounts;
using Platform.Web.Components;
using Platform.Web.Components.Layout;
using Platform.Web.Components.Pages.AdminJobs;
using Platform.Web.Components.Pages.Catalog;
using Platform.Web.Components.Shared;
using Platform.Web.Uploads;

namespace Platform.Web.Catalog;

/// <summary>
/// The catalog pages' endpoints, for a tenant (/models/catalog: owners change, members watch) and for
/// platform admins (/admin/models, platform-wide): the streaming ZIP upload, the live import list, and
/// cancel/retry of an import. The commands check who may act; the policies only keep strangers out.
/// </summary>
internal static class CatalogEndpoints
{
    public static void MapCatalogEndpoints(this IEndpointRouteBuilder app)
    {
        Map(app.MapGroup(TenantCatalog.BasePath).RequireAuthorization(PortalPolicies.TenantMember), platformWide: false);
        Map(app.MapGroup(ModelCatalog.BasePath).RequireAuthorization(PortalPolicies.PlatformAdmin), platformWide: true);
    }

    private static void Map(RouteGroupBuilder group, bool platformWide)
    {
        var basePath = platformWide ? ModelCatalog.BasePath : TenantCatalog.BasePath;
        // Antiforgery is checked by hand once the token field has been read (see DatasetEndpoints).
        group.MapPost("/upload", (HttpContext context, IAntiforgery antiforgery, IOptions<AntiforgeryOptions> antiforgeryOptions,
                IOptions<ModelCatalogOptions> options, StartUploadedModelImportCommand upload, CancellationToken cancellationToken) =>
            UploadAsync(context, antiforgery, antiforgeryOptions.Value, options.Value, upload, platformWide, cancellationToken))
            .DisableAntiforgery();
        group.MapGet("/live", async (BaseModelCatalog catalog, ListBaseModelImportsQuery imports, ICurrentTenant current, PortalSession session,
                CancellationToken cancellationToken) =>
            new RazorComponentResult<CatalogLive>(new Dictionary<string, object?>
            {
                [nameof(CatalogLive.Imports)] = await imports.ExecuteAsync(platformWide, cancellationToken: cancellationToken),
                [nameof(CatalogLive.Models)] = await catalog.ListAsync(platformWide ? null : current.TenantId, cancellationToken),
                [nameof(CatalogLive.BasePath)] = basePath,
                [nameof(CatalogLive.CanManage)] = platformWide || session.IsOwner,
                [nameof(CatalogLive.ShowAvailability)] = !platformWide,
            }));
        group.MapPost("/imports/{id:guid}/cancel", async (Guid id, CancelBaseModelImportCommand cancel, CancellationToken cancellationToken) =>
                Answer(await cancel.ExecuteAsync(id, platformWide, cancellationToken), basePath))
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
        group.MapPost("/imports/{id:guid}/retry", async (Guid id, RetryBaseModelImportCommand retry, CancellationToken cancellationToken) =>
                Answer(await retry.ExecuteAsync(id, platformWide, cancellationToken), basePath))
            .WithMetadata(new RequireAntiforgeryTokenAttribute());
    }

    /// <summary>Back to the page; an import that ended meanwhile is no error for the user, the list shows how it ended.</summary>
    private static IResult Answer(Result result, string basePath) => result.Status switch
    {
        ResultStatus.Success or ResultStatus.NotFound or ResultStatus.Conflict => Results.Redirect(basePath),
        _ => Results.Problem(result.Error, statusCode: StatusCodes.Status403Forbidden),
    };

    private static async Task<IResult> UploadAsync(HttpContext context, IAntiforgery antiforgery, AntiforgeryOptions antiforgeryOptions,
        ModelCatalogOptions options, StartUploadedModelImportCommand upload, bool platformWide, CancellationToken cancellationToken)
    {
        var (form, refusal) = await MultipartUpload.OpenAsync(context, options.MaxUploadBytes, cancellationToken, Api.BaseModelUploadApi.LimitName);
        if (form is null || refusal is { Problem: not UploadProblem.NoFile })
            return Page(platformWide, refusal!.Status, refusal.Message, form);
        if (!await form.IsAntiforgeryValidAsync(context, antiforgery, antiforgeryOptions))
            return Page(platformWide, StatusCodes.Status400BadRequest, "The form expired or did not come from this site. Reload the page and upload again.", form);
        if (form.File is not { FileName.Length: > 0 } file)
            return Page(platformWide, StatusCodes.Status400BadRequest, "Choose a ZIP file to upload.", form);
        if (!file.FileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            return Page(platformWide, StatusCodes.Status400BadRequest, $"'{file.FileName}' is not a .zip file.", form);
        try
        {
            var started = await upload.ExecuteAsync(new UploadedModelRequest(form.Field("name"), form.Field("description"), platformWide),
                file.Content, cancellationToken);
            return started.IsSuccess
                ? Results.Redirect($"{(platformWide ? ModelCatalog.BasePath : TenantCatalog.BasePath)}?uploaded=true")
                : Page(platformWide, StatusFor(started), started.Error!, form);
        }
        catch (Exception ex) when (form.RefusalFor(ex) is { } streamed)
        {
            return Page(platformWide, streamed.Status, streamed.Message, form);
        }
    }

    private static int StatusFor(Result result) => result.HttpStatus();

    /// <summary>The catalog page again, with the reason the ZIP was refused and the name as sent.</summary>
    private static RazorComponentResult Page(bool platformWide, int statusCode, string error, MultipartUpload? form) =>
        new(typeof(StandaloneDocument), new Dictionary<string, object?>
        {
            [nameof(StandaloneDocument.Layout)] = platformWide ? typeof(AdminLayout) : typeof(WorkspaceLayout),
            [nameof(StandaloneDocument.Page)] = platformWide ? typeof(ModelCatalog) : typeof(TenantCatalog),
            [nameof(StandaloneDocument.PageParameters)] = new Dictionary<string, object>
            {
                [nameof(TenantCatalog.UploadError)] = error,
                [nameof(TenantCatalog.UploadName)] = form?.Field("name") ?? "",
            },
        })
        { StatusCode = statusCode };
}
