using Platform.Jobs.Portal;
using Platform.Jobs.Predictions;
using Platform.Web.Uploads;

namespace Platform.Web.Api;

/// <summary>
/// Batch prediction through the API: upload a file to a model (a job of its own: queued, metered,
/// cancellable with POST /api/v1/jobs/{id}/cancel), then download its result file once it succeeded.
/// </summary>
internal static class BatchPredictionApi
{
    public static async Task<IResult> LaunchAsync(Guid id, HttpContext context, LaunchBatchPredictionCommand launch, ApiJobQuery jobs,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var (form, refusal) = await MultipartUpload.OpenAsync(context, LaunchBatchPredictionCommand.MaxUploadBytes, cancellationToken);
        if (refusal is { Problem: UploadProblem.NotMultipart })
            return ApiProblem.Create(refusal.Status, refusal.Code, "Send the file as multipart/form-data in a field named \"file\": a CSV for a text or tabular model, a ZIP of images for an image model.");
        if (refusal is { Problem: UploadProblem.NoFile })
            return ApiProblem.Invalid("file", "Send the file as multipart/form-data in a field named \"file\": a CSV for a text or tabular model, a ZIP of images for an image model.");
        if (refusal is not null)
            return ApiProblem.From(refusal);
        if (form!.File is not { FieldName: "file", FileName.Length: > 0 } file)
            return ApiProblem.Invalid("file", "Send the file as multipart/form-data in a field named \"file\".");
        try
        {
            var launched = await launch.ExecuteAsync(id, file.FileName, file.Content, cancellationToken);
            if (!launched.IsSuccess)
                return ApiProblem.From(launched, launched.Status == Platform.Domain.Common.ResultStatus.BadRequest ? "file" : null);
            var row = await jobs.GetAsync(launched.Value, cancellationToken);
            return Results.Created($"/api/v1/jobs/{launched.Value}", JobDto.From(row!, clock.GetUtcNow()));
        }
        catch (Exception ex) when (form.RefusalFor(ex) is { } streamed)
        {
            return ApiProblem.From(streamed);
        }
    }

    public static async Task<IResult> ResultAsync(Guid id, BatchPredictionQueries batches, ApiJobQuery jobs, CancellationToken cancellationToken)
    {
        var opened = await batches.OpenResultAsync(id, cancellationToken);
        if (!opened.IsSuccess)
            return ApiProblem.From(opened);
        var name = (await jobs.GetAsync(id, cancellationToken))?.Job.Name ?? "batch";
        return Results.Stream(opened.Value, "text/csv", BatchPredictionQueries.DownloadName(name));
    }
}
