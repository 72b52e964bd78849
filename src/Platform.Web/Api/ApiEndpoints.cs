using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Platform.Data.Datasets;
using Platform.Domain.Common;
using Platform.Domain.Datasets;
using Platform.Jobs.Catalog;
using Platform.Jobs.Catalog.Imports;
using Platform.Jobs.Launch;
using Platform.Jobs.Models;
using Platform.Jobs.Portal;
using Platform.Web.Datasets;
using Platform.Web.Jobs;

namespace Platform.Web.Api;

/// <summary>The REST API (/api/v1): API keys only, no cookies, no antiforgery (no ambient credentials to forge).</summary>
internal static class ApiEndpoints
{
    public static void MapApiEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiKeyAuthenticationHandler.Policy)
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status401Unauthorized);

        api.MapGet("/datasets", ListDatasetsAsync).WithTags("Datasets").WithSummary("The organisation's datasets, newest first.");
        api.MapPost("/datasets", UploadDatasetAsync).WithTags("Datasets")
            .WithSummary("Upload a dataset: multipart/form-data with fields name (and textColumn, labelColumn for a CSV; purpose=tabular, labelColumn as the target and excludeColumns for a table) before the file field.")
            .Accepts<IFormFile>("multipart/form-data")
            .Produces<DatasetDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).RequireRateLimiting(Security.RateLimitPolicies.Upload);

        api.MapGet("/jobs", ListJobsAsync).WithTags("Jobs").WithSummary("Jobs, newest first; ?state=Queued|Running|Succeeded|Failed|Cancelled.");
        api.MapPost("/jobs", LaunchAsync).WithTags("Jobs").WithSummary("Launch a training job.")
            .Produces<LaunchedJobDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapPost("/jobs/pretrain", LaunchPretrainingAsync).WithTags("Jobs")
            .WithSummary("Launch a masked-LM pre-training on a corpus (or text) dataset; the result joins the organisation's base models.")
            .Produces<LaunchedJobDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/jobs/{id:guid}", GetJobAsync).WithTags("Jobs").Produces<JobDto>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/{id:guid}/cancel", CancelAsync).WithTags("Jobs").WithSummary("Cancel: at once when queued, at the next step when running.")
            .Produces<JobDto>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/jobs/{id:guid}/events", EventsAsync).WithTags("Jobs")
            .WithSummary("Server-sent events (text/event-stream) after Last-Event-ID or ?after=; ends with an 'end' event when the job has finished.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/jobs/{id:guid}/loss", LossCurveAsync).WithTags("Jobs")
            .WithSummary("The training-loss curve: mean loss per point, at most ?points= (default 300) points of equal step width.")
            .Produces<IReadOnlyList<LossPointView>>().ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/base-models", ListBaseModelsAsync).WithTags("Base models")
            .WithSummary("The base models the organisation can launch from: the platform's and its own.")
            .Produces<IReadOnlyList<BaseModelDto>>();
        api.MapPost("/base-models/imports", StartImportAsync).WithTags("Base models")
            .WithSummary("Import a model from the Hugging Face Hub into the organisation's catalog (an owner's key): {\"repoId\": \"org/name\", \"revision\": \"main\"}. Runs in the background.")
            .Produces<BaseModelImportDto>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/base-models/imports/{id:guid}", GetImportAsync).WithTags("Base models")
            .WithSummary("Where an import stands: bytes downloaded, then done (the model is in the catalog) or failed with the reason.")
            .Produces<BaseModelImportDto>().ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/models/{id:guid}/metrics", MetricsAsync).WithTags("Models")
            .WithSummary("Evaluation of a succeeded job's model: accuracy, macro-F1, per class, confusion matrix, history. "
                + "?variant=baseline: the same for the linear baseline a text job fits on the same split.")
            .Produces<Platform.Training.Metrics.MetricsReport>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/models/{id:guid}/serving", ServingAsync).WithTags("Models")
            .WithSummary("Serving options of an image or tabular model (platform, ONNX, int8): size, validation accuracy, latency and cost per 1,000 predictions; and what training cost.")
            .Produces<ServingDto>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/models/{id:guid}/download", DownloadAsync).WithTags("Models")
            .WithSummary("The model as a ZIP: the model folder, or ?variant=baseline (text), onnx or int8 (image and tabular models: the ONNX file, config.json and preprocessing.json).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/models/{id:guid}/predict", PredictAsync).WithTags("Models")
            .WithSummary("Classify {\"text\": ...} (BERT) or a multipart field 'image' (CNN). "
                + "Text models also answer with their linear baseline (TF-IDF + logistic regression): {\"text\": ..., \"variant\": \"baseline\"} "
                + "(or a multipart field 'variant'); \"model\", the default, is the fine-tuned model. "
                + "Tabular models: {\"row\": {column: value}} or {\"csv\": \"...\"}. Image and tabular models also answer through ONNX Runtime: \"variant\": \"onnx\" or \"int8\".")
            .Accepts<PredictTextRequest>("application/json", "multipart/form-data")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ModelEndpoints.MaxRequestBytes))
            .Produces<PredictionDto>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ListDatasetsAsync(ListDatasetsQuery datasets, CancellationToken cancellationToken) =>
        Results.Ok((await datasets.ExecuteAsync(cancellationToken)).Select(DatasetDto.From));

    private static async Task<IResult> UploadDatasetAsync(HttpContext context, IOptions<DatasetOptions> options, CreateDatasetCommand createDataset,
        ListDatasetsQuery datasets, CancellationToken cancellationToken)
    {
        var maxFile = options.Value.MaxUploadBytes;
        var maxRequest = maxFile + 64 * 1024;
        // As the portal's upload: Kestrel stops reading past the limit instead of taking an endless body.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
            sizeLimit.MaxRequestBodySize = maxRequest;
        if (context.Request.ContentLength > maxRequest)
            return Problem(StatusCodes.Status413PayloadTooLarge, $"The file is larger than the {maxFile:N0}-byte upload limit.");
        if (MultipartUpload.Open(context.Request) is not { } upload)
            return Problem(StatusCodes.Status400BadRequest, "Send multipart/form-data with a name field and then a file field.");
        try
        {
            var file = await upload.ReadFieldsUntilFileAsync(cancellationToken);
            if (file is null || string.IsNullOrEmpty(file.FileName))
                return Problem(StatusCodes.Status400BadRequest, "The request has no file field (send the name field first, then the file).");
            // purpose=corpus: unlabelled text for pre-training (.txt a document per line, or a CSV's text column).
            var purpose = upload.Field("purpose");
            if (DatasetEndpoints.KindOf(file.FileName, purpose) is not { } kind)
                return Problem(StatusCodes.Status400BadRequest, purpose == "corpus"
                    ? $"'{file.FileName}' is neither a .txt nor a .csv file."
                    : $"'{file.FileName}' is neither a .csv nor a .zip file.");
            // purpose=tabular: a table; labelColumn is its target, excludeColumns (comma-separated) the columns left out.
            var created = await createDataset.ExecuteAsync(new CreateDatasetRequest(upload.Field("name"), kind, file.Section.Body,
                Blank(upload.Field("textColumn")), Blank(upload.Field("labelColumn")), Lines: DatasetEndpoints.IsPlainText(file.FileName),
                ExcludedColumns: CreateDatasetRequest.ParseColumnList(upload.Field("excludeColumns"))), cancellationToken);
            if (!created.IsSuccess)
                return Problem(created);
            var summary = (await datasets.ExecuteAsync(cancellationToken)).First(d => d.Id == created.Value.Id);
            return Results.Created($"/api/v1/datasets/{summary.Id}", DatasetDto.From(summary));
        }
        catch (InvalidDataException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, $"The file is larger than the {maxFile:N0}-byte upload limit.");
        }
    }

    private static async Task<IResult> ListJobsAsync(string? state, JobQueries jobs, CancellationToken cancellationToken) =>
        Results.Ok((await jobs.ListAsync(state, cancellationToken: cancellationToken)).Select(JobDto.From));

    private static async Task<IResult> ListBaseModelsAsync(BaseModelCatalog catalog, Platform.Domain.Common.ICurrentTenant current,
        CancellationToken cancellationToken) =>
        Results.Ok((await catalog.ListAsync(current.TenantId, cancellationToken)).Select(BaseModelDto.From));

    private static async Task<IResult> StartImportAsync(StartHubImportDto request, StartHubImportCommand start, ListBaseModelImportsQuery imports,
        CancellationToken cancellationToken)
    {
        var started = await start.ExecuteAsync(new StartHubImportRequest(request.RepoId ?? "", request.Revision, request.Name, request.Description),
            cancellationToken);
        if (!started.IsSuccess)
            return Problem(started);
        var import = await imports.GetAsync(started.Value, cancellationToken: cancellationToken);
        return Results.Accepted($"/api/v1/base-models/imports/{started.Value}", BaseModelImportDto.From(import!));
    }

    private static async Task<IResult> GetImportAsync(Guid id, ListBaseModelImportsQuery imports, CancellationToken cancellationToken) =>
        await imports.GetAsync(id, cancellationToken: cancellationToken) is { } import
            ? Results.Ok(BaseModelImportDto.From(import))
            : Problem(StatusCodes.Status404NotFound, "Import not found.");

    private static async Task<IResult> LaunchAsync(LaunchJobRequest request, LaunchJobCommand launch, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.BaseModel))
            return Problem(StatusCodes.Status400BadRequest, "baseModel is required: a name from GET /api/v1/base-models.");
        var launched = await launch.ExecuteAsync(request, cancellationToken);
        return launched.IsSuccess
            ? Results.Created($"/api/v1/jobs/{launched.Value}", new LaunchedJobDto(launched.Value, $"/api/v1/jobs/{launched.Value}"))
            : Problem(launched);
    }

    private static async Task<IResult> LaunchPretrainingAsync(LaunchPretrainingRequest request, LaunchPretrainingCommand launch,
        CancellationToken cancellationToken)
    {
        var launched = await launch.ExecuteAsync(request, cancellationToken);
        return launched.IsSuccess
            ? Results.Created($"/api/v1/jobs/{launched.Value}", new LaunchedJobDto(launched.Value, $"/api/v1/jobs/{launched.Value}"))
            : Problem(launched);
    }

    private static async Task<IResult> GetJobAsync(Guid id, JobQueries jobs, CancellationToken cancellationToken) =>
        await jobs.GetAsync(id, cancellationToken) is { } job ? Results.Ok(JobDto.From(job)) : JobNotFound();

    private static async Task<IResult> CancelAsync(Guid id, JobQueries jobs, CancelJobCommand cancel, CancellationToken cancellationToken)
    {
        if (await jobs.GetAsync(id, cancellationToken) is null)
            return JobNotFound();
        var cancelled = await cancel.ExecuteAsync(id, cancellationToken);
        if (!cancelled.IsSuccess)
            return Problem(cancelled);
        return Results.Ok(JobDto.From((await jobs.GetAsync(id, cancellationToken))!));
    }

    private static async Task<IResult> EventsAsync(Guid id, HttpRequest request, JobQueries jobs, CancellationToken cancellationToken) =>
        await jobs.GetAsync(id, cancellationToken) is null
            ? JobNotFound()
            : new JobEventStreamResult(id, JobEventStreamResult.AfterFrom(request));

    private static async Task<IResult> LossCurveAsync(Guid id, int? points, JobQueries jobs, CancellationToken cancellationToken) =>
        await jobs.GetAsync(id, cancellationToken) is null
            ? JobNotFound()
            : Results.Ok(await jobs.LossCurveAsync(id, points ?? 300, cancellationToken));

    private static async Task<IResult> MetricsAsync(Guid id, string? variant, ModelQueries models, CancellationToken cancellationToken)
    {
        if (await models.GetAsync(id, cancellationToken) is not { } model)
            return ModelNotFound();
        if (!ModelView.TryParseVariant(variant, out var selected))
            return Problem(StatusCodes.Status400BadRequest, "The variant is either \"model\" or \"baseline\".");
        if (selected == ModelVariant.Model)
            return Results.Ok(model.Metrics);
        if (selected is ModelVariant.Onnx or ModelVariant.Int8)
            return Problem(StatusCodes.Status400BadRequest, "The ONNX and int8 variants' scores are in /models/{id}/serving.");
        return model.Baseline is { } baseline
            ? Results.Ok(baseline)
            : Problem(StatusCodes.Status404NotFound, "This model has no baseline: baselines are fitted for text models, by jobs that finished since they were introduced.");
    }

    /// <summary>The serving options (platform, ONNX, int8): size, validation scores, latency; and what training cost and serving costs.</summary>
    private static async Task<IResult> ServingAsync(Guid id, ModelQueries models, Platform.Billing.Usage.GetModelCostQuery cost,
        CancellationToken cancellationToken)
    {
        if (await models.GetAsync(id, cancellationToken) is not { } model)
            return ModelNotFound();
        var priced = await cost.ExecuteAsync(id, cancellationToken);
        return Results.Ok(new ServingDto(priced.CpuSeconds, priced.GpuSeconds, priced.Currency, priced.TrainingCost,
            model.Serving?.Split, model.Serving?.Examples,
            (model.Serving?.Variants ?? []).Select(v => new ServingVariantDto(v.Variant, v.Bytes, v.Accuracy, v.MacroF1, v.MacroRocAuc, v.LatencyMs,
                priced.PerThousandPredictions(v.LatencyMs))).ToList()));
    }

    /// <summary>The model folder as a ZIP; ?variant=baseline|onnx|int8 the baseline folder or an ONNX file with its config.</summary>
    private static async Task<IResult> DownloadAsync(Guid id, string? variant, HttpContext context, ModelQueries models, CancellationToken cancellationToken)
    {
        if (await models.GetAsync(id, cancellationToken) is not { } model)
            return ModelNotFound();
        if (!ModelView.TryParseVariant(variant, out var selected))
            return Problem(StatusCodes.Status400BadRequest, ModelEndpoints.VariantHelp);
        if ((selected == ModelVariant.Baseline && !model.HasBaseline) || (selected is ModelVariant.Onnx or ModelVariant.Int8 && !model.HasOnnx))
            return Problem(StatusCodes.Status404NotFound, selected == ModelVariant.Baseline ? "This model has no baseline." : ModelEndpoints.NoOnnx);
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } bodyControl)
            bodyControl.AllowSynchronousIO = true;
        var name = string.Concat(model.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'))
            + (selected == ModelVariant.Model ? "" : "-" + selected.ToString().ToLowerInvariant()) + ".zip";
        return Results.Stream(body => models.WriteZipAsync(model, body, selected, cancellationToken), "application/zip", name);
    }

    private static async Task<IResult> PredictAsync(Guid id, HttpRequest request, ModelQueries models, CancellationToken cancellationToken)
    {
        var model = await models.GetAsync(id, cancellationToken);
        if (model is null)
            return ModelNotFound();
        if (model.Kind == "tabular")
            return await PredictRowAsync(request, models, model, cancellationToken);
        string text = "";
        string? variant = null;
        IFormFile? image = null;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            text = form["text"].ToString();
            variant = form["variant"].ToString();
            image = form.Files.GetFile("image");
        }
        else if (request.HasJsonContentType())
        {
            try
            {
                var body = await request.ReadFromJsonAsync<PredictTextRequest>(cancellationToken);
                text = body?.Text ?? "";
                variant = body?.Variant;
            }
            catch (System.Text.Json.JsonException)
            {
                return Problem(StatusCodes.Status400BadRequest, "The body is not JSON of the form {\"text\": \"...\", \"variant\": \"model\" | \"baseline\"}.");
            }
        }
        var outcome = await ModelEndpoints.PlaygroundAsync(models, model, text, image, variant, cancellationToken);
        return outcome.Prediction is { } prediction
            ? Results.Ok(new PredictionDto(prediction.Label, prediction.Scores, outcome.Variant.ToString().ToLowerInvariant()))
            : Problem(StatusCodes.Status400BadRequest, outcome.Error ?? "Nothing to classify.");
    }

    /// <summary>A tabular model: a JSON object of column values ({"row": {...}} or the object itself), or {"csv": "..."}; or form fields.</summary>
    private static async Task<IResult> PredictRowAsync(HttpRequest request, ModelQueries models, ModelView model, CancellationToken cancellationToken)
    {
        ModelEndpoints.PlaygroundOutcome outcome;
        try
        {
            if (request.HasJsonContentType())
            {
                using var body = await System.Text.Json.JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
                var (row, csv, variant) = TablePredictions.FromJson(body.RootElement);
                outcome = await TablePredictions.PredictAsync(models, model, row, csv, variant, cancellationToken);
            }
            else if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(cancellationToken);
                outcome = await TablePredictions.PredictAsync(models, model, TablePredictions.FromForm(form), form["csv"].ToString(), form["variant"].ToString(), cancellationToken);
            }
            else
            {
                return Problem(StatusCodes.Status415UnsupportedMediaType, "Send JSON: {\"row\": {column: value, ...}} or {\"csv\": \"v1,v2,...\"}.");
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidDataException)
        {
            return Problem(StatusCodes.Status400BadRequest, $"The body is not a row of column values: {ex.Message}");
        }

        return outcome.Prediction is { } prediction
            ? Results.Ok(new PredictionDto(prediction.Label, prediction.Scores, outcome.Variant.ToString().ToLowerInvariant()))
            : Problem(StatusCodes.Status400BadRequest, outcome.Error ?? "Nothing to classify.");
    }

    private static IResult JobNotFound() => Problem(StatusCodes.Status404NotFound, "No such job.");

    private static IResult ModelNotFound() => Problem(StatusCodes.Status404NotFound, "No model for this job: it does not exist, is not yours, or has not succeeded.");

    private static IResult Problem(Result result) => Problem(result.Status switch
    {
        ResultStatus.Forbidden => StatusCodes.Status403Forbidden,
        ResultStatus.NotFound => StatusCodes.Status404NotFound,
        ResultStatus.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status400BadRequest,
    }, result.Error ?? "The request failed.");

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private static string? Blank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
