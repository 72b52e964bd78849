using Microsoft.Extensions.Options;
using Platform.Jobs.Catalog;
using Platform.Jobs.Catalog.Imports;
using Platform.Web.Uploads;

namespace Platform.Web.Api;

/// <summary>
/// POST /api/v1/base-models/uploads: the portal's "Upload a model folder (ZIP)" for API clients. The ZIP is
/// streamed to the import's folder and checked at once (StartUploadedModelImportCommand: size, archive safety,
/// the three required files); loading it and adding it to the catalog follow in the background.
/// </summary>
internal static class BaseModelUploadApi
{
    /// <summary>How refusals name the models' limit.</summary>
    internal const string LimitName = "upload limit for models";

    public static long MaxRequestBytes(ModelCatalogOptions options) => MultipartUpload.MaxRequestBytes(options.MaxUploadBytes);

    public static async Task<IResult> UploadAsync(HttpContext context, IOptions<ModelCatalogOptions> options, StartUploadedModelImportCommand upload,
        ListBaseModelImportsQuery imports, CancellationToken cancellationToken)
    {
        var (form, refusal) = await MultipartUpload.OpenAsync(context, options.Value.MaxUploadBytes, cancellationToken, LimitName);
        if (refusal is not null)
            return ApiProblem.From(refusal);
        var file = form!.File!;
        if (file.FileName.Length == 0)
            return ApiProblem.From(UploadRefusal.NoFile());
        if (!file.FileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            return ApiProblem.Invalid("file", $"'{file.FileName}' is not a .zip file.");
        try
        {
            var started = await upload.ExecuteAsync(new UploadedModelRequest(form.Field("name"), form.Field("description")), file.Content, cancellationToken);
            if (!started.IsSuccess)
                return ApiProblem.From(started);
            var import = await imports.GetAsync(started.Value, cancellationToken: cancellationToken);
            return Results.Accepted($"/api/v1/base-models/imports/{started.Value}", BaseModelImportDto.From(import!));
        }
        catch (Exception ex) when (form.RefusalFor(ex) is { } streamed)
        {
            return ApiProblem.From(streamed);
        }
    }
}
