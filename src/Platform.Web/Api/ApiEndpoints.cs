using Platform.Jobs.Catalog.Imports;
using Platform.Jobs.Launch;
using Platform.Jobs.Portal;
using Platform.Jobs.Predictions;
using Platform.Web.Jobs;

namespace Platform.Web.Api;

/// <summary>The REST API (/api/v1): API keys only, no cookies, no antiforgery (no ambient credentials to forge).</summary>
internal static class ApiEndpoints
{
    public static void MapApiEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(ApiKeyAuthenticationHandler.Policy)
            .RequireCors(ApiCors.Policy)
            .RequireRateLimiting(Security.RateLimitPolicies.Api)
            .DisableAntiforgery()
            .AddEndpointFilter(KnownQueryParameters.CheckAsync)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        var datasets = api.MapGroup("/datasets").WithTags("Datasets");
        datasets.MapGet("", DatasetApi.ListAsync).WithName("listDatasets")
            .WithSummary("The organisation's datasets, newest first; ?kind=text|image|corpus|tabular, ?limit=, ?after={lastId}.")
            .Produces<Page<DatasetDto>>().ProducesProblem(StatusCodes.Status400BadRequest);
        datasets.MapPost("", DatasetApi.UploadAsync).WithName("uploadDataset")
            .WithSummary("Upload a dataset: multipart/form-data with fields name (and textColumn, labelColumn for a CSV; purpose=corpus for unlabelled text; purpose=tabular, labelColumn as the target and excludeColumns for a table) before the file field.")
            .WithMetadata(new UploadBodyMetadata())
            .Produces<DatasetDetailDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(Security.RateLimitPolicies.Upload);
        datasets.MapGet("/{id:guid}", DatasetApi.GetAsync).WithName("getDataset")
            .WithSummary("One dataset version with its label distribution, split and warnings.")
            .Produces<DatasetDetailDto>().ProducesProblem(StatusCodes.Status404NotFound);
        datasets.MapDelete("/{id:guid}", DatasetApi.DeleteAsync).WithName("deleteDataset")
            .WithSummary("Delete a dataset version (409 while a job uses it).")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);

        var jobs = api.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapGet("", JobApi.ListAsync).WithName("listJobs")
            .WithSummary("Jobs, newest first; filters ?kind=train|pretrain|batch-predict, ?state=, ?datasetId=, ?baseModel=, ?createdAfter=, ?createdBefore= (RFC 3339); ?limit=, ?after={lastId}.")
            .Produces<Page<JobDto>>().ProducesProblem(StatusCodes.Status400BadRequest);
        jobs.MapPost("", JobApi.LaunchAsync).WithName("launchJob").WithSummary("Launch a training job; answers the job.")
            .Produces<JobDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        jobs.MapPost("/pretrain", JobApi.LaunchPretrainingAsync).WithName("launchPretraining")
            .WithSummary("Launch a masked-LM pre-training on a corpus (or text) dataset; the result joins the organisation's base models.")
            .Produces<JobDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        jobs.MapGet("/{id:guid}", JobApi.GetAsync).WithName("getJob").Produces<JobDto>().ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id:guid}/cancel", JobApi.CancelAsync).WithName("cancelJob")
            .WithSummary("Cancel: at once when queued, at the next step when running. Idempotent: a cancelled (or cancelling) job answers 200 again; a succeeded or failed one 409.")
            .Produces<JobDto>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapGet("/{id:guid}/events", JobApi.EventsAsync).WithName("listJobEvents")
            .WithSummary("The job's event log. Accept: application/json: a page of events after ?after= (an event id), oldest first, or ?order=newest for the newest first "
                + "(then ?after= pages to older events), ?type= to narrow. "
                + "Otherwise server-sent events (text/event-stream) after Last-Event-ID or ?after=, ending with an 'end' event once the job has finished.")
            .Produces<Page<JobEventApiDto>>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id:guid}/predictions", BatchPredictionApi.ResultAsync).WithName("downloadBatchPredictions")
            .WithSummary("A succeeded batch prediction's result: CSV of id, predicted_label and score_{label} per label (409 until it succeeded).")
            .Produces<string>(StatusCodes.Status200OK, "text/csv").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapGet("/{id:guid}/checkpoints", JobApi.CheckpointsAsync).WithName("listJobCheckpoints")
            .WithSummary("Checkpoints the job's runs saved, by step; the resume point is the one a next run starts from.")
            .Produces<Page<CheckpointDto>>().ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id:guid}/loss", JobApi.LossCurveAsync).WithName("getJobLossCurve")
            .WithSummary("The training-loss curve: mean loss per point, at most ?points= (2-5000, default 300) points of equal step width.")
            .Produces<IReadOnlyList<LossPointView>>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        var models = api.MapGroup("/models").WithTags("Models");
        models.MapGet("", ModelApi.ListAsync).WithName("listModels")
            .WithSummary("Trained models (succeeded training jobs), newest first; ?datasetId=, ?baseModel=, ?createdAfter=, ?createdBefore=, ?limit=, ?after=.")
            .Produces<Page<ModelDto>>().ProducesProblem(StatusCodes.Status400BadRequest);
        models.MapGet("/{id:guid}", ModelApi.GetAsync).WithName("getModel").Produces<ModelDto>().ProducesProblem(StatusCodes.Status404NotFound);
        models.MapDelete("/{id:guid}", ModelApi.DeleteAsync).WithName("deleteModel")
            .WithSummary("Delete the model's files; the job stays, without a model. 409 while a batch prediction of the model is queued or running.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        models.MapGet("/{id:guid}/metrics", ModelApi.MetricsAsync).WithName("getModelMetrics")
            .WithSummary("Evaluation on the held-out split: accuracy, macroF1, perClass, confusionMatrix, history. "
                + "?variant=baseline: the same for the linear baseline a text job fits on the same split.")
            .Produces<MetricsDto>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/{id:guid}/validation-predictions", ValidationPredictionApi.ListAsync).WithName("listValidationPredictions")
            .WithSummary("Each validation example's true and predicted label and per-label scores from the final evaluation; "
                + "?misclassified=true: only the mistakes, the most confident first (the 200 most confident carry their text or thumbnail). "
                + "Paged with ?limit= and ?after= (an example's id). 404 for models trained before these were kept.")
            .Produces<Page<ValidationPredictionDto>>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/{id:guid}/serving", ModelApi.ServingAsync).WithName("getModelServing")
            .WithSummary("Serving options of a model (platform, ONNX, int8): size, validation accuracy, latency and cost per 1,000 predictions; and what training cost.")
            .Produces<ServingDto>().ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/{id:guid}/download", ModelApi.DownloadAsync).WithName("downloadModel")
            .WithSummary("The model folder as a ZIP (Hugging Face layout for BERT, with its baseline/ folder); ?variant=baseline: the baseline alone; "
                + "?variant=onnx or int8: the ONNX file with config.json (and a table's preprocessing.json).")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip").ProducesProblem(StatusCodes.Status404NotFound);
        models.MapPost("/{id:guid}/predict", ModelApi.PredictAsync).WithName("predict")
            .WithSummary("Classify {\"text\": ...} (BERT) or a multipart field 'image' (CNN). "
                + "Text models also answer with their linear baseline (TF-IDF + logistic regression): {\"text\": ..., \"variant\": \"baseline\"} "
                + "(or a multipart field 'variant'); \"model\", the default, is the fine-tuned model. "
                + "Tabular models: {\"row\": {column: value}} or {\"csv\": \"...\"}. Models with an ONNX export also answer through ONNX Runtime: \"variant\": \"onnx\" or \"int8\".")
            .Accepts<PredictTextRequest>("application/json", "multipart/form-data")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ModelEndpoints.MaxRequestBytes))
            .Produces<PredictionDto>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        models.MapPost("/{id:guid}/predictions", ModelApi.PredictBatchAsync).WithName("predictBatch")
            .WithSummary($"Classify up to {BatchPredictRequest.MaxInputs} texts at once: {{\"inputs\": [\"...\", ...]}}; predictions come back in the same order.")
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(ModelEndpoints.MaxRequestBytes))
            .Produces<BatchPredictionDto>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

        models.MapPost("/{id:guid}/batch-predictions", BatchPredictionApi.LaunchAsync).WithName("launchBatchPrediction")
            .WithSummary("Classify a whole file as a job of its own (queued, metered like training, cancellable): multipart field \"file\", "
                + "a CSV with a \"text\" column (text models) or the model's columns (tabular), or a ZIP of PNG/JPEG images (image models); "
                + "columns match by name, in any order; an optional \"id\" column names each row and other columns come through to the result. "
                + "A file without a column the model reads is refused with a 400 naming it. "
                + "Answers the job; GET /api/v1/jobs/{id}/predictions downloads the result once it succeeded.")
            .Accepts<IFormFile>("multipart/form-data")
            .Produces<JobDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(Uploads.MultipartUpload.MaxRequestBytes(LaunchBatchPredictionCommand.MaxUploadBytes)));
        var baseModels = api.MapGroup("/base-models").WithTags("Base models");
        baseModels.MapGet("", OrganisationApi.ListBaseModelsAsync).WithName("listBaseModels")
            .WithSummary("The base models the organisation can launch from (the platform's and its own), by name; ?kind=text|image|tabular.")
            .Produces<Page<BaseModelDto>>().ProducesProblem(StatusCodes.Status400BadRequest);
        baseModels.MapPost("/imports", StartImportAsync).WithName("startBaseModelImport")
            .WithSummary("Import a model from the Hugging Face Hub into the organisation's catalog (an owner's key): {\"repoId\": \"org/name\", \"revision\": \"main\"}. Runs in the background.")
            .Produces<BaseModelImportDto>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        baseModels.MapPost("/uploads", BaseModelUploadApi.UploadAsync).WithName("uploadBaseModel")
            .WithSummary("Import a model folder zipped in Hugging Face layout (config.json, vocab.txt and model.safetensors, at the top or in one folder) "
                + "into the organisation's catalog (an owner's key): multipart/form-data, the name (and description) fields before the file. "
                + "The archive is checked at once (unsafe paths, bombs, missing files: 400); the model is loaded in the background: follow the import.")
            .WithMetadata(new ModelUploadBodyMetadata())
            .Produces<BaseModelImportDto>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireRateLimiting(Security.RateLimitPolicies.Upload);
        baseModels.MapGet("/imports/{id:guid}", GetImportAsync).WithName("getBaseModelImport")
            .WithSummary("Where an import stands: bytes downloaded, then done (the model is in the catalog) or failed with the reason.")
            .Produces<BaseModelImportDto>().ProducesProblem(StatusCodes.Status404NotFound);

        api.MapWebhookApi();

        var keys = api.MapGroup("/api-keys").WithTags("Organisation");
        keys.MapGet("", OrganisationApi.ListKeysAsync).WithName("listApiKeys").WithSummary("The organisation's API keys (owners), newest first; never their secrets.")
            .Produces<Page<ApiKeyDto>>().ProducesProblem(StatusCodes.Status403Forbidden);
        keys.MapPost("", OrganisationApi.CreateKeyAsync).WithName("createApiKey").WithSummary("Create a key (owners): the secret is in the answer only.")
            .Produces<CreatedApiKeyDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        keys.MapDelete("/{id:guid}", OrganisationApi.RevokeKeyAsync).WithName("revokeApiKey").WithSummary("Revoke a key (owners); idempotent.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/usage", OrganisationApi.UsageAsync).WithTags("Organisation").WithName("getUsage")
            .WithSummary("The plan and the device hours used in the current billing period (owners).")
            .Produces<UsageDto>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> StartImportAsync(StartHubImportDto request, StartHubImportCommand start, ListBaseModelImportsQuery imports,
        CancellationToken cancellationToken)
    {
        var started = await start.ExecuteAsync(new StartHubImportRequest(request.RepoId ?? "", request.Revision, request.Name, request.Description),
            cancellationToken);
        if (!started.IsSuccess)
            return ApiProblem.From(started);
        var import = await imports.GetAsync(started.Value, cancellationToken: cancellationToken);
        return Results.Accepted($"/api/v1/base-models/imports/{started.Value}", BaseModelImportDto.From(import!));
    }

    private static async Task<IResult> GetImportAsync(Guid id, ListBaseModelImportsQuery imports, CancellationToken cancellationToken) =>
        await imports.GetAsync(id, cancellationToken: cancellationToken) is { } import
            ? Results.Ok(BaseModelImportDto.From(import))
            : ApiProblem.NotFound("Import not found.");
}

/// <summary>Marks the dataset upload: its body may be as large as the upload limit (the idempotency check reads it first).</summary>
internal sealed record UploadBodyMetadata;

/// <summary>Marks the base-model upload: its body may be as large as Catalog:MaxUploadBytes (the idempotency check reads it first).</summary>
internal sealed record ModelUploadBodyMetadata;
