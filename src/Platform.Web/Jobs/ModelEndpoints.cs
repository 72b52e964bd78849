using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Jobs.Models;
using Platform.Jobs.Predictions;
using Platform.Training.Training;
using Platform.Web.Accounts;
using Platform.Web.Components;
using Platform.Web.Components.Layout;
using Platform.Web.Components.Pages.Models;
using Platform.Web.Uploads;

namespace Platform.Web.Jobs;

internal static class ModelEndpoints
{
    /// <summary>Playground images are single examples; anything larger is not a photo of one thing.</summary>
    public const long MaxImageBytes = 10 * 1024 * 1024;

    public const int MaxTextLength = 10_000;

    /// <summary>The playground's body: one image (or text) and a few small fields.</summary>
    public const long MaxRequestBytes = MaxImageBytes + MultipartUpload.FormOverheadBytes;

    public static void MapModelEndpoints(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/models/{id:guid}").RequireAuthorization(PortalPolicies.TenantMember);
        models.MapGet("/download", DownloadAsync);
        models.MapPost("/predict", PredictAsync)
            .WithMetadata(new RequireAntiforgeryTokenAttribute(), new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxRequestBytes));
        // Antiforgery is checked by hand once the token field has been read: the framework's check
        // would read the whole form, file included, before the handler runs.
        models.MapPost("/batch", BatchAsync)
            .DisableAntiforgery()
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MultipartUpload.MaxRequestBytes(LaunchBatchPredictionCommand.MaxUploadBytes)));
        // No file extension: the tenant is resolved only for paths without one (static files skip it).
        app.MapGet("/jobs/{id:guid}/predictions", BatchResultAsync).RequireAuthorization(PortalPolicies.TenantMember);
    }

    /// <summary>The batch form: a job of its own, whose page follows it; a refused file comes back on the model page with the reason.</summary>
    private static async Task<IResult> BatchAsync(Guid id, HttpContext context, IAntiforgery antiforgery, IOptions<AntiforgeryOptions> antiforgeryOptions,
        LaunchBatchPredictionCommand launch, CancellationToken cancellationToken)
    {
        var (form, refusal) = await MultipartUpload.OpenAsync(context, LaunchBatchPredictionCommand.MaxUploadBytes, cancellationToken);
        if (form is null || refusal is { Problem: not UploadProblem.NoFile })
            return BatchPage(id, refusal!.Status, refusal.Message);
        if (!await form.IsAntiforgeryValidAsync(context, antiforgery, antiforgeryOptions.Value))
            return BatchPage(id, StatusCodes.Status400BadRequest, "The form expired or did not come from this site. Reload the page and try again.");
        if (form.File is not { FieldName: "file", FileName.Length: > 0 } file)
            return BatchPage(id, StatusCodes.Status400BadRequest, "Choose a file to classify.");
        try
        {
            var launched = await launch.ExecuteAsync(id, file.FileName, file.Content, cancellationToken);
            if (launched.IsSuccess)
                return Results.Redirect($"/jobs/{launched.Value}");
            if (launched.Status == Platform.Domain.Common.ResultStatus.NotFound)
                return Results.NotFound();
            return BatchPage(id, StatusCodes.Status400BadRequest, launched.Error!);
        }
        catch (Exception ex) when (form.RefusalFor(ex) is { } streamed)
        {
            return BatchPage(id, streamed.Status, streamed.Message);
        }
    }

    /// <summary>The model page again, with the reason the batch file was refused.</summary>
    private static RazorComponentResult<StandaloneDocument> BatchPage(Guid id, int statusCode, string error) =>
        new(new Dictionary<string, object?>
        {
            [nameof(StandaloneDocument.Layout)] = typeof(WorkspaceLayout),
            [nameof(StandaloneDocument.Page)] = typeof(ModelDetail),
            [nameof(StandaloneDocument.PageParameters)] = new Dictionary<string, object>
            {
                [nameof(ModelDetail.Id)] = id,
                [nameof(ModelDetail.BatchError)] = error,
            },
        }) { StatusCode = statusCode };

    private static async Task<IResult> BatchResultAsync(Guid id, BatchPredictionQueries batches, Platform.Jobs.Portal.JobQueries jobs,
        CancellationToken cancellationToken)
    {
        var opened = await batches.OpenResultAsync(id, cancellationToken);
        if (!opened.IsSuccess)
            return opened.Status == Platform.Domain.Common.ResultStatus.NotFound ? Results.NotFound() : Results.Conflict(opened.Error);
        var name = (await jobs.GetAsync(id, cancellationToken))?.Name ?? "batch";
        return Results.Stream(opened.Value, "text/csv", BatchPredictionQueries.DownloadName(name));
    }

    /// <summary>The model folder (with its baseline/ folder), or with ?variant=baseline the baseline folder alone.</summary>
    private static async Task<IResult> DownloadAsync(Guid id, string? variant, HttpContext context, ModelQueries models, CancellationToken cancellationToken)
    {
        var model = await models.GetAsync(id, cancellationToken);
        if (model is null || !ModelView.TryParseVariant(variant, out var selected))
            return Results.NotFound();
        if ((selected == ModelVariant.Baseline && !model.HasBaseline) || (selected is ModelVariant.Onnx or ModelVariant.Int8 && !model.HasOnnx))
            return Results.NotFound();
        return Zip(models, model, selected, context, cancellationToken);
    }

    /// <summary>The model (or baseline) folder as a ZIP download; the portal and the API (bearer key) share it.</summary>
    internal static IResult Zip(ModelQueries models, ModelView model, ModelVariant selected, HttpContext context, CancellationToken cancellationToken)
    {
        var fileName = string.Concat(model.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'))
            + (selected == ModelVariant.Model ? "" : "-" + selected.ToString().ToLowerInvariant()) + ".zip";
        // ZipArchive still writes some of its framing synchronously, even through its async API; the
        // alternative, zipping to a temporary file first, would double the disk used by a large BERT.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } bodyControl)
            bodyControl.AllowSynchronousIO = true;
        // Streamed as it is zipped: a BERT folder can be hundreds of megabytes.
        return Results.Stream(body => models.WriteZipAsync(model, body, selected, cancellationToken), "application/zip", fileName);
    }

    /// <summary>
    /// The playground form: htmx swaps in just the result; without JavaScript the model page comes
    /// back whole with the result in place.
    /// </summary>
    private static async Task<IResult> PredictAsync(Guid id, HttpRequest request, ModelQueries models, CancellationToken cancellationToken)
    {
        var model = await models.GetAsync(id, cancellationToken);
        if (model is null)
            return Results.NotFound();
        var form = await request.ReadFormAsync(cancellationToken);
        var outcome = model.Kind == "tabular"
            ? await TablePredictions.PredictAsync(models, model, TablePredictions.FromForm(form), form["csv"].ToString(), form["variant"].ToString(), cancellationToken)
            : await PlaygroundAsync(models, model, form["text"].ToString(), form.Files.GetFile("image"), form["variant"].ToString(), cancellationToken);
        var parameters = new Dictionary<string, object?>
        {
            [nameof(PredictionResult.Prediction)] = outcome.Prediction,
            [nameof(PredictionResult.Error)] = outcome.Error,
            [nameof(PredictionResult.Input)] = outcome.Input,
            [nameof(PredictionResult.Variant)] = outcome.Variant,
            [nameof(PredictionResult.Preview)] = outcome.Preview,
        };
        if (request.Headers.ContainsKey("HX-Request"))
            return new RazorComponentResult<PredictionResult>(parameters);
        return new RazorComponentResult<StandaloneDocument>(new Dictionary<string, object?>
        {
            [nameof(StandaloneDocument.Layout)] = typeof(WorkspaceLayout),
            [nameof(StandaloneDocument.Page)] = typeof(ModelDetail),
            [nameof(StandaloneDocument.PageParameters)] = new Dictionary<string, object>
            {
                [nameof(ModelDetail.Id)] = id,
                [nameof(ModelDetail.Playground)] = parameters,
            },
        });
    }

    internal const string VariantHelp = "The variant is \"model\" (the trained model), \"baseline\" (a text model's TF-IDF + logistic regression), " +
        "\"onnx\" or \"int8\" (an image or tabular model's ONNX export in ONNX Runtime, float or dynamically quantised).";

    internal const string NoOnnx = "This model has no ONNX export: models trained before exports existed (and DistilBERT models) are served by the platform only.";

    internal sealed record PlaygroundOutcome(Prediction? Prediction, string? Error, string? Input, ModelVariant Variant = ModelVariant.Model)
    {
        /// <summary>The image classified, as a data URI the result shows next to its label.</summary>
        public string? Preview { get; init; }
    }

    /// <summary>Images up to this size come back in the playground's result as they were sent; larger ones are not echoed.</summary>
    public const int MaxPreviewBytes = 2 * 1024 * 1024;

    /// <summary>A data URI of an image the model has just decoded, so it is a PNG or a JPEG; null for larger ones.</summary>
    internal static string? PreviewUri(byte[] image) => image.Length > MaxPreviewBytes ? null
        : $"data:{(image is [0x89, (byte)'P', (byte)'N', (byte)'G', ..] ? "image/png" : "image/jpeg")};base64,{Convert.ToBase64String(image)}";

    /// <summary>One classification for the playground and the API; <paramref name="variant"/> is "model" (or empty) or "baseline".</summary>
    internal static async Task<PlaygroundOutcome> PlaygroundAsync(ModelQueries models, ModelView model, string text, IFormFile? image,
        string? variant, CancellationToken cancellationToken)
    {
        if (!ModelView.TryParseVariant(variant, out var selected))
            return new(null, VariantHelp, null);
        if (selected is ModelVariant.Onnx or ModelVariant.Int8 && !model.HasOnnx)
            return new(null, NoOnnx, null, selected);
        if (selected == ModelVariant.Baseline && !model.HasBaseline)
        {
            return new(null, model.Kind == "bert"
                ? "This model has no baseline: it was trained before jobs fitted one."
                : "Image models have no baseline: the TF-IDF + logistic regression baseline is fitted for text models only.", null, selected);
        }

        if (model.Kind == "bert")
        {
            if (string.IsNullOrWhiteSpace(text))
                return new(null, "Type some text to classify.", text, selected);
            if (text.Length > MaxTextLength)
                return new(null, $"The text is longer than {MaxTextLength:N0} characters.", null, selected);
            var predictions = await models.PredictTextAsync(model.JobId, text, selected, cancellationToken);
            return new(predictions?.FirstOrDefault(), predictions is null ? "This model cannot classify text." : null, text, selected);
        }
        if (image is null || image.Length == 0)
            return new(null, "Choose a PNG or JPEG image to classify.", null);
        if (image.Length > MaxImageBytes)
            return new(null, "The image is larger than 10 MB.", null);
        using var buffer = new MemoryStream();
        await image.CopyToAsync(buffer, cancellationToken);
        try
        {
            var bytes = buffer.ToArray();
            var predictions = await models.PredictImageAsync(model.JobId, image.FileName, bytes, selected, cancellationToken);
            return new(predictions?.FirstOrDefault(), predictions is null ? "This model cannot classify images." : null, image.FileName, selected)
            {
                Preview = predictions is null ? null : PreviewUri(bytes),
            };
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or Platform.Training.Torch.TorchException)
        {
            return new(null, $"The image could not be read: {ex.Message}", image.FileName);
        }
    }
}
