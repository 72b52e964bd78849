using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Platform.Jobs.Catalog;
using Platform.Jobs.Catalog.Imports;
using Platform.Web.Datasets;

namespace Platform.Web.Api;

/// <summary>
/// POST /api/v1/base-models/uploads: the portal's "Upload a model folder (ZIP)" for API clients. The ZIP is
/// streamed to the import's folder and checked at once (StartUploadedModelImportCommand: size, archive safety,
/// the three required files); loading it and adding it to the catalog follow in the background.
/// </summary>
internal static class BaseModelUploadApi
{
    private const long FormOverheadBytes = 64 * 1024;

    public static long MaxRequestBytes(ModelCatalogOptions options) => options.MaxUploadBytes + FormOverheadBytes;

    public static async Task<IResult> UploadAsync(HttpContext context, IOptions<ModelCatalogOptions> options, StartUploadedModelImportCommand upload,
        ListBaseModelImportsQuery imports, CancellationToken cancellationToken)
    {
        var maxFile = options.Value.MaxUploadBytes;
        var maxRequest = MaxRequestBytes(options.Value);
        // Kestrel stops reading past the limit instead of taking an endless body.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
            sizeLimit.MaxRequestBodySize = maxRequest;
        if (context.Request.ContentLength > maxRequest)
            return TooLarge(maxFile);
        if (MultipartUpload.Open(context.Request) is not { } form)
            return ApiProblem.Create(StatusCodes.Status400BadRequest, "invalid_request", "Send multipart/form-data with a name field and then a file field.");
        try
        {
            var file = await form.ReadFieldsUntilFileAsync(cancellationToken);
            if (file is null || string.IsNullOrEmpty(file.FileName))
                return ApiProblem.Invalid("file", "The request has no file field (send the name field first, then the file).");
            if (!file.FileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                return ApiProblem.Invalid("file", $"'{file.FileName}' is not a .zip file.");
            var started = await upload.ExecuteAsync(new UploadedModelRequest(form.Field("name"), form.Field("description")), file.Section.Body, cancellationToken);
            if (!started.IsSuccess)
                return ApiProblem.From(started);
            var import = await imports.GetAsync(started.Value, cancellationToken: cancellationToken);
            return Results.Accepted($"/api/v1/base-models/imports/{started.Value}", BaseModelImportDto.From(import!));
        }
        catch (InvalidDataException ex)
        {
            return ApiProblem.Create(StatusCodes.Status400BadRequest, "invalid_file", ex.Message, "file");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(maxFile);
        }
    }

    private static IResult TooLarge(long maxFile) =>
        ApiProblem.Create(StatusCodes.Status413PayloadTooLarge, "file_too_large", $"The ZIP is larger than the {maxFile:N0}-byte upload limit for models.", "file");
}
