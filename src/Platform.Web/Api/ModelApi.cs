using System.Text.Json;
using Platform.Jobs.Models;
using Platform.Jobs.Portal;
using Platform.Jobs.Privacy;
using Platform.Web.Jobs;

namespace Platform.Web.Api;

/// <summary>/api/v1/models: a model is a succeeded training job's output, under the job's id.</summary>
internal static class ModelApi
{
    public static async Task<IResult> ListAsync(HttpRequest request, ApiJobQuery jobs, CancellationToken cancellationToken)
    {
        if (!PageQuery.TryParse(request, out var page, out var problem) || !page.TryAfterGuid(out var after, out problem)
            || !JobFilterParser.TryParse(request, out var filter, out problem))
        {
            return problem!;
        }
        if (filter.State is not null)
            return ApiProblem.Invalid("state", "Models have no state filter: every model is a succeeded job's.");
        var rows = await jobs.ListAsync(filter with { SucceededTrainingOnly = true }, after, page.Fetch, cancellationToken);
        if (rows is null)
            return PageQuery.InvalidCursor();
        return Results.Ok(page.ToPage(rows.Select(Model).ToList(), m => m.Id.ToString()));
    }

    public static async Task<IResult> GetAsync(Guid id, ApiJobQuery jobs, ModelQueries models, CancellationToken cancellationToken)
    {
        if (await models.GetAsync(id, cancellationToken) is null || await jobs.GetAsync(id, cancellationToken) is not { } row)
            return ModelNotFound();
        return Results.Ok(Model(row));
    }

    /// <summary>
    /// Removes the model's files; the job stays (with its events, metrics history in the log and metered
    /// usage), without a model. Predictions and downloads answer 404 from then on.
    /// </summary>
    public static async Task<IResult> DeleteAsync(Guid id, DeleteModelCommand delete, CancellationToken cancellationToken)
    {
        var deleted = await delete.ExecuteAsync(id, cancellationToken);
        return deleted.Status switch
        {
            Platform.Domain.Common.ResultStatus.Success => Results.NoContent(),
            Platform.Domain.Common.ResultStatus.NotFound => ModelNotFound(),
            _ => ApiProblem.From(deleted),
        };
    }

    public static async Task<IResult> MetricsAsync(Guid id, string? variant, ModelQueries models, CancellationToken cancellationToken)
    {
        if (await models.GetAsync(id, cancellationToken) is not { } model)
            return ModelNotFound();
        if (!ModelView.TryParseVariant(variant, out var selected))
            return ApiProblem.Invalid("variant", "The variant is either \"model\" or \"baseline\".");
        if (selected is ModelVariant.Onnx or ModelVariant.Int8)
            return ApiProblem.Invalid("variant", "The ONNX and int8 variants' scores are in /models/{id}/serving.");
        if (selected == ModelVariant.Baseline && model.Baseline is null)
            return ApiProblem.NotFound("This model has no baseline: baselines are fitted for text models, by jobs that finished since they were introduced.");
        var report = selected == ModelVariant.Model ? model.Metrics : model.Baseline!;
        // metrics.json keeps its snake_case names (the trainer's file format); the API speaks camelCase.
        return Results.Ok(MetricsDto.From(report));
    }

    public static async Task<IResult> DownloadAsync(Guid id, string? variant, HttpContext context, ModelQueries models, CancellationToken cancellationToken)
    {
        var model = await models.GetAsync(id, cancellationToken);
        if (model is null)
            return ModelNotFound();
        if (!ModelView.TryParseVariant(variant, out var selected))
            return ApiProblem.Invalid("variant", ModelEndpoints.VariantHelp);
        if (selected == ModelVariant.Baseline && !model.HasBaseline)
            return ApiProblem.NotFound("This model has no baseline.");
        if (selected is ModelVariant.Onnx or ModelVariant.Int8 && !model.HasOnnx)
            return ApiProblem.NotFound(ModelEndpoints.NoOnnx);
        return ModelEndpoints.Zip(models, model, selected, context, cancellationToken);
    }

    /// <summary>The serving options (platform, ONNX, int8): size, validation scores, latency; and what training cost and serving costs.</summary>
    public static async Task<IResult> ServingAsync(Guid id, ModelQueries models, Platform.Billing.Usage.GetModelCostQuery cost,
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

    public static async Task<IResult> PredictAsync(Guid id, HttpRequest request, ModelQueries models, CancellationToken cancellationToken)
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
                var body = await request.ReadFromJsonAsync<PredictTextRequest>(Options(request), cancellationToken);
                text = body?.Text ?? "";
                variant = body?.Variant;
            }
            catch (JsonException ex)
            {
                var (code, param) = Security.RequestErrorsMiddleware.CodeOf(new BadHttpRequestException("", ex));
                return ApiProblem.Create(StatusCodes.Status400BadRequest, code,
                    $"The body is not JSON of the form {{\"text\": \"...\", \"variant\": \"model\" | \"baseline\"}}: {ex.Message}", param);
            }
        }
        else
        {
            return ApiProblem.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "Send application/json {\"text\": ...} or multipart/form-data with an 'image' (or 'text') field.");
        }
        var outcome = await ModelEndpoints.PlaygroundAsync(models, model, text, image, variant, cancellationToken);
        return outcome.Prediction is { } prediction
            ? Results.Ok(new PredictionDto(prediction.Label, prediction.Scores, outcome.Variant.ToString().ToLowerInvariant()))
            : ApiProblem.Create(StatusCodes.Status400BadRequest, "invalid_input", outcome.Error ?? "Nothing to classify.", model.Kind == "bert" ? "text" : "image");
    }

    /// <summary>A tabular model: a JSON object of column values ({"row": {...}} or the object itself), or {"csv": "..."}; or form fields.</summary>
    private static async Task<IResult> PredictRowAsync(HttpRequest request, ModelQueries models, ModelView model, CancellationToken cancellationToken)
    {
        ModelEndpoints.PlaygroundOutcome outcome;
        try
        {
            if (request.HasJsonContentType())
            {
                using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
                var (row, csv, variant) = TablePredictions.FromJson(body.RootElement);
                outcome = await TablePredictions.PredictAsync(models, model, row, csv, variant, cancellationToken);
            }
            else if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(cancellationToken);
                outcome = await TablePredictions.PredictAsync(models, model, TablePredictions.FromForm(form), form["csv"].ToString(),
                    form["variant"].ToString(), cancellationToken);
            }
            else
            {
                return ApiProblem.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                    "Send JSON: {\"row\": {column: value, ...}} or {\"csv\": \"v1,v2,...\"}.");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            return ApiProblem.Create(StatusCodes.Status400BadRequest, "invalid_input", $"The body is not a row of column values: {ex.Message}", "row");
        }

        return outcome.Prediction is { } prediction
            ? Results.Ok(new PredictionDto(prediction.Label, prediction.Scores, outcome.Variant.ToString().ToLowerInvariant()))
            : ApiProblem.Create(StatusCodes.Status400BadRequest, "invalid_input", outcome.Error ?? "Nothing to classify.", "row");
    }

    /// <summary>Up to <see cref="BatchPredictRequest.MaxInputs"/> texts in one call, answered in order.</summary>
    public static async Task<IResult> PredictBatchAsync(Guid id, BatchPredictRequest request, ModelQueries models, CancellationToken cancellationToken)
    {
        var model = await models.GetAsync(id, cancellationToken);
        if (model is null)
            return ModelNotFound();
        if (!ModelView.TryParseVariant(request.Variant, out var selected))
            return ApiProblem.Invalid("variant", "The variant is either \"model\" or \"baseline\".");
        if (request.Inputs is null || request.Inputs.Count is 0 or > BatchPredictRequest.MaxInputs)
            return ApiProblem.Invalid("inputs", $"inputs is a list of 1 to {BatchPredictRequest.MaxInputs} texts.");
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(request.Inputs[i]) || request.Inputs[i].Length > ModelEndpoints.MaxTextLength)
                return ApiProblem.Invalid($"inputs[{i}]", $"Each input is a non-empty text of at most {ModelEndpoints.MaxTextLength:N0} characters.");
        }
        if (model.Kind != "bert" && selected == ModelVariant.Model)
            return ApiProblem.Create(StatusCodes.Status400BadRequest, "invalid_input", "This model classifies images: send one image to /predict.", "inputs");
        var predictions = await models.PredictTextsAsync(model, request.Inputs, selected, cancellationToken);
        if (predictions is null)
            return ApiProblem.Create(StatusCodes.Status400BadRequest, "invalid_input", "This model has no baseline.", "variant");
        var name = selected.ToString().ToLowerInvariant();
        return Results.Ok(new BatchPredictionDto(predictions.Select(p => new PredictionDto(p.Label, p.Scores, name)).ToList()));
    }

    private static JsonSerializerOptions Options(HttpRequest request) =>
        request.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;

    private static ModelDto Model(ApiJobRow row)
    {
        var job = JobDto.From(row, DateTimeOffset.UtcNow);
        var kind = PayloadKind(row.Job.PayloadJson);
        return new ModelDto(row.Job.Id, row.Job.Id, row.Job.Name, kind, job.BaseModel, job.DatasetId, job.Result?.Accuracy, job.Result?.MacroF1,
            job.Result?.Baseline is not null, row.Job.FinishedAt ?? row.Job.CreatedAt, $"/api/v1/models/{row.Job.Id}/download");
    }

    /// <summary>text, image or tabular: what the model reads, from the kind of dataset it was trained on.</summary>
    private static string PayloadKind(string payload)
    {
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.TryGetProperty("dataset", out var d) && d.ValueKind == JsonValueKind.Object
            && d.TryGetProperty("kind", out var k)
            ? k.GetString() switch { "Image" => "image", "Tabular" => "tabular", _ => "text" }
            : "text";
    }

    private static IResult ModelNotFound() =>
        ApiProblem.NotFound("No model with this id: it does not exist, is not yours, its job has not succeeded, or it was deleted.");
}
