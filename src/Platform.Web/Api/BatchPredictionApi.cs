using Platform.Jobs.Predictions;

namespace Platform.Web.Api;

/// <summary>
/// Batch prediction through the API: upload a file to a model (a job of its own: queued, metered,
/// cancellable with POST /api/v1/jobs/{id}/cancel), then download its result file once it succeeded.
/// </summary>
internal static class BatchPredictionApi
{
    public static async Task<IResult> LaunchAsync(Guid id, HttpRequest request, LaunchBatchPredictionCommand launch, ApiJobQuery jobs,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
            return ApiProblem.Invalid("file", "Send the file as multipart/form-data in a field named \"file\".");
        var form = await request.ReadFormAsync(cancellationToken);
        if (form.Files.GetFile("file") is not { Length: > 0 } file)
            return ApiProblem.Invalid("file", "Send the file as multipart/form-data in a field named \"file\": a CSV for a text or tabular model, a ZIP of images for an image model.");
        await using var content = file.OpenReadStream();
        var launched = await launch.ExecuteAsync(id, file.FileName, content, cancellationToken);
        if (!launched.IsSuccess)
            return ApiProblem.From(launched, launched.Status == Platform.Domain.Common.ResultStatus.BadRequest ? "file" : null);
        var row = await jobs.GetAsync(launched.Value, cancellationToken);
        return Results.Created($"/api/v1/jobs/{launched.Value}", JobDto.From(row!, clock.GetUtcNow()));
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
