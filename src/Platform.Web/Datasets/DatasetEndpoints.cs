using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Training.Models.Cnn;
using Platform.Training.Torch;
using Platform.Training.Torch.Vision;
using Platform.Web.Accounts;
using Platform.Web.Components;
using Platform.Web.Components.Shared;
using Platform.Web.Components.Layout;
using Platform.Web.Components.Pages.Datasets;
using Platform.Web.Security;
using Platform.Web.Uploads;

namespace Platform.Web.Datasets;

internal static class DatasetEndpoints
{
    /// <summary>The part of a CSV the upload form sends to read its header (portal.js).</summary>
    private const long ColumnsFileBytes = 64 * 1024;


    public static void MapDatasetEndpoints(this IEndpointRouteBuilder app)
    {
        // Antiforgery is checked by hand once the token field has been read: the framework's check
        // would read the whole form, file included, before the handler runs.
        app.MapPost("/datasets/upload", UploadAsync)
            .RequireAuthorization(PortalPolicies.TenantMember)
            .DisableAntiforgery()
            .RequireRateLimiting(RateLimitPolicies.Upload);

        // htmx asks for the header of the CSV just chosen in the upload form; see wwwroot/js/portal.js.
        app.MapPost("/datasets/columns", ColumnsAsync)
            .RequireAuthorization(PortalPolicies.TenantMember)
            .DisableAntiforgery()
            // The browser sends the file's first 64 KB (portal.js); the header must be in there.
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MultipartUpload.MaxRequestBytes(ColumnsFileBytes)));

        app.MapGet("/datasets/{id:guid}/images/{hash}", ImageAsync)
            .RequireAuthorization(PortalPolicies.TenantMember);

        app.MapGet("/datasets/{id:guid}/images/{hash}/model-view", ModelViewAsync)
            .RequireAuthorization(PortalPolicies.TenantMember);
    }

    private static async Task<IResult> UploadAsync(
        HttpContext context,
        IAntiforgery antiforgery,
        IOptions<AntiforgeryOptions> antiforgeryOptions,
        IOptions<DatasetOptions> options,
        PortalSession session,
        CreateDatasetCommand createDataset,
        CancellationToken cancellationToken)
    {
        var (upload, refusal) = await MultipartUpload.OpenAsync(context, options.Value.MaxUploadBytes, cancellationToken);
        if (upload is null || refusal is { Problem: not UploadProblem.NoFile })
            return Page(refusal!.Status, refusal.Message, upload);
        if (!await upload.IsAntiforgeryValidAsync(context, antiforgery, antiforgeryOptions.Value))
            return Page(StatusCodes.Status400BadRequest, "The form expired or did not come from this site. Reload the page and upload again.", upload);
        if (session.Tenant is { } tenant && Platform.Domain.Tenants.Tenant.CheckCanWrite(tenant.Status, tenant.SuspensionReason, "upload datasets") is { IsSuccess: false } refused)
            return Page(StatusCodes.Status403Forbidden, refused.Error!, upload);
        if (upload.File is not { FileName.Length: > 0 } file)
            return Page(StatusCodes.Status400BadRequest, "Choose a file to upload.", upload);
        if (KindOf(file.FileName, upload.Field("purpose")) is not { } kind)
        {
            return Page(StatusCodes.Status400BadRequest, upload.Field("purpose") switch
            {
                "corpus" => $"'{file.FileName}' is neither a .txt nor a .csv file: unlabelled text for pre-training comes as one of those.",
                "tabular" => $"'{file.FileName}' is not a .csv file: a table comes as CSV.",
                _ => $"'{file.FileName}' is neither a .csv nor a .zip file.",
            }, upload);
        }
        try
        {
            var created = await createDataset.ExecuteAsync(
                new CreateDatasetRequest(upload.Field("name"), kind, file.Content, Blank(upload.Field("textColumn")), Blank(upload.Field("labelColumn")),
                    Lines: IsPlainText(file.FileName), ExcludedColumns: CreateDatasetRequest.ParseColumnList(upload.Field("excludeColumns"))),
                cancellationToken);
            return created.IsSuccess
                ? Results.Redirect($"/datasets/{created.Value.Id}")
                : Page(StatusFor(created), created.Error!, upload);
        }
        catch (Exception ex) when (upload.RefusalFor(ex) is { } streamed)
        {
            return Page(streamed.Status, streamed.Message, upload);
        }
    }

    private static async Task<IResult> ColumnsAsync(
        HttpContext context,
        IAntiforgery antiforgery,
        IOptions<AntiforgeryOptions> antiforgeryOptions,
        ReadCsvColumnsQuery readColumns,
        CancellationToken cancellationToken)
    {
        // The browser sends the file's first 64 KB (portal.js); the header must be in there.
        var (upload, refusal) = await MultipartUpload.OpenAsync(context, ColumnsFileBytes, cancellationToken);
        if (upload is null || refusal is { Problem: not UploadProblem.NoFile })
            return Results.BadRequest();
        if (!await upload.IsAntiforgeryValidAsync(context, antiforgery, antiforgeryOptions.Value))
            return Results.BadRequest();
        if (upload.File is not { } file || KindOf(file.FileName) != DatasetKind.Text)
            return Columns(null, upload.File is null ? null : "An image ZIP takes its labels from the folder names.", isError: false);
        Result<IReadOnlyList<string>> columns;
        try
        {
            columns = readColumns.Execute(file.Content);
        }
        catch (Exception ex) when (upload.RefusalFor(ex) is not null)
        {
            return Results.BadRequest();
        }
        if (!columns.IsSuccess)
        {
            return Columns(null, columns.Error, isError: true);
        }
        var names = columns.Value;
        // Preselect the conventional names, else the first column as text and the last as label.
        var text = names.FirstOrDefault(c => c.Equals("text", StringComparison.OrdinalIgnoreCase)) ?? names[0];
        var label = names.FirstOrDefault(c => c.Equals("label", StringComparison.OrdinalIgnoreCase)) ?? names[^1];
        return Columns(names, null, isError: false, text, label);
    }

    private static RazorComponentResult Columns(IReadOnlyList<string>? columns, string? note, bool isError, string text = "text", string label = "label") =>
        new(typeof(CsvColumnFields), new Dictionary<string, object?>
        {
            [nameof(CsvColumnFields.Columns)] = columns,
            [nameof(CsvColumnFields.Note)] = note,
            [nameof(CsvColumnFields.IsError)] = isError,
            [nameof(CsvColumnFields.TextColumn)] = text,
            [nameof(CsvColumnFields.LabelColumn)] = label,
        });

    private static async Task<IResult> ImageAsync(Guid id, string hash, OpenDatasetFileQuery openFile, CancellationToken cancellationToken)
    {
        var opened = await openFile.ExecuteAsync(id, hash, cancellationToken);
        if (!opened.IsSuccess)
        {
            return Results.NotFound();
        }
        // Read whole (ingestion bounds an image's size): the store's stream decrypts forward only, and
        // reading to the end checks the content against its hash before a byte is served.
        using var buffer = new MemoryStream();
        await using (var stream = opened.Value)
            await stream.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        // The content type comes from the bytes, never from the uploader: only PNG and JPEG pass ingestion.
        var contentType = bytes is [0x89, (byte)'P', (byte)'N', (byte)'G', ..] ? "image/png" : "image/jpeg";
        // Artifacts are content-addressed: the bytes behind a hash never change.
        return Results.File(bytes, contentType, entityTag: new EntityTagHeaderValue($"\"{hash}\""));
    }

    /// <summary>
    /// The image as a CNN preset sees it: transparent pixels on the model's background, converted to its
    /// channels and resized to its input, so a user can check that the model gets what they meant.
    /// </summary>
    private static async Task<IResult> ModelViewAsync(Guid id, string hash, string? preset, OpenDatasetFileQuery openFile,
        CancellationToken cancellationToken)
    {
        if (preset is null || !CnnConfig.PresetNames.Contains(preset))
        {
            return Results.Problem($"Name a CNN preset: {string.Join(", ", CnnConfig.PresetNames)}.", statusCode: StatusCodes.Status400BadRequest);
        }
        var opened = await openFile.ExecuteAsync(id, hash, cancellationToken);
        if (!opened.IsSuccess)
        {
            return Results.NotFound();
        }
        byte[] bytes;
        await using (var stream = opened.Value)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }
        var config = CnnConfig.FromPreset(preset, ["a"]);
        try
        {
            var pixels = ImageDecoder.Preview(bytes, config.InChannels, config.ImageHeight, config.ImageWidth,
                [.. config.Background.Select(b => (byte)b)]);
            var png = PngWriter.Encode(pixels, config.ImageWidth, config.ImageHeight, config.InChannels);
            return Results.File(png, "image/png", entityTag: new EntityTagHeaderValue($"\"{hash}-{preset}\""));
        }
        catch (TorchException)
        {
            return Results.Problem("The image cannot be decoded.", statusCode: StatusCodes.Status422UnprocessableEntity);
        }
    }

    /// <summary>The kind of dataset an upload makes, from its file name and the form's purpose field.</summary>
    internal static DatasetKind? KindOf(string fileName, string? purpose = null) => (Path.GetExtension(fileName).ToLowerInvariant(), purpose) switch
    {
        (".csv" or ".txt", "corpus") => DatasetKind.Corpus,
        (_, "corpus") => null,
        (".csv", "tabular") => DatasetKind.Tabular,
        (_, "tabular") => null,
        (".csv" or ".txt" or ".tsv", _) => DatasetKind.Text,
        (".zip", _) => DatasetKind.Image,
        _ => null,
    };

    /// <summary>A .txt corpus is one document per line; anything else is read as CSV.</summary>
    internal static bool IsPlainText(string fileName) => Path.GetExtension(fileName).Equals(".txt", StringComparison.OrdinalIgnoreCase);

    private static string? Blank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static int StatusFor(Result result) => result.HttpStatus();

    /// <summary>The upload page again, with the reason the file was refused and the fields as sent.</summary>
    private static RazorComponentResult Page(int statusCode, string error, MultipartUpload? upload) =>
        new(typeof(StandaloneDocument), new Dictionary<string, object?>
        {
            [nameof(StandaloneDocument.Layout)] = typeof(WorkspaceLayout),
            [nameof(StandaloneDocument.Page)] = typeof(DatasetUpload),
            [nameof(StandaloneDocument.PageParameters)] = new Dictionary<string, object>
            {
                [nameof(DatasetUpload.Error)] = error,
                [nameof(DatasetUpload.Name)] = upload?.Field("name") ?? "",
                [nameof(DatasetUpload.TextColumn)] = upload?.Field("textColumn") is { Length: > 0 } text ? text : "text",
                [nameof(DatasetUpload.LabelColumn)] = upload?.Field("labelColumn") is { Length: > 0 } label ? label : "label",
                [nameof(DatasetUpload.Purpose)] = upload?.Field("purpose") ?? "labelled",
                [nameof(DatasetUpload.ExcludeColumns)] = upload?.Field("excludeColumns") ?? "",
            },
        })
        { StatusCode = statusCode };
}
