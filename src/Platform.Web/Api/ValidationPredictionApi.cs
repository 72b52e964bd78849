using Platform.Jobs.Models;
using Platform.Training.Metrics;

namespace Platform.Web.Api;

/// <summary>
/// One validation example as the final evaluation scored it (validation_predictions.json, decision 0037).
/// </summary>
/// <param name="Id">Where the example is in the uploaded dataset: "line 12" of a CSV, "cats/001.png" of a ZIP; also the page cursor.</param>
/// <param name="Confidence">The predicted class's softmax score.</param>
/// <param name="Scores">The softmax score of each label (four decimals).</param>
/// <param name="Text">The text (or table row) of one of the most confident mistakes; null for the others and for images.</param>
/// <param name="Thumbnail">A PNG data URI of the image as the model saw it, for one of the most confident mistakes; null otherwise.</param>
public sealed record ValidationPredictionDto(string Id, string TrueLabel, string PredictedLabel, bool Correct, double Confidence,
    IReadOnlyDictionary<string, double> Scores, string? Text, string? Thumbnail);

/// <summary>GET /api/v1/models/{id}/validation-predictions: what the model page's misclassified examples and threshold read.</summary>
internal static class ValidationPredictionApi
{
    public static async Task<IResult> ListAsync(Guid id, HttpRequest request, ModelQueries models, CancellationToken cancellationToken)
    {
        if (!PageQuery.TryParse(request, out var page, out var problem))
            return problem!;
        var filter = request.Query["misclassified"].ToString();
        if (filter.Length > 0 && !bool.TryParse(filter, out _))
            return ApiProblem.Invalid("misclassified", "misclassified is true (only the mistakes, the most confident first) or false (every example, in the split's order).");
        if (await models.GetAsync(id, cancellationToken) is not { } model)
            return ApiProblem.NotFound("No model with this id: it does not exist, is not yours, its job has not succeeded, or it was deleted.");
        if (await models.GetValidationPredictionsAsync(model, cancellationToken) is not { } predictions)
            return ApiProblem.NotFound("This model has no validation predictions: models trained before they were kept have none.");
        var examples = filter.Length > 0 && bool.Parse(filter) ? predictions.Misclassified.ToList() : predictions.Examples;
        var labels = predictions.Labels;
        // Paged on the file's records; only the page becomes DTOs (a split can hold tens of thousands of examples).
        if (!page.TryPageOf(examples, e => e.Id, out var found, out problem))
            return problem!;
        var data = found.Data.Select(e => new ValidationPredictionDto(e.Id, labels[e.Truth], labels[e.Predicted], e.Correct, e.Confidence,
            labels.Select((label, c) => (label, c)).ToDictionary(l => l.label, l => (double)e.Scores[l.c]), e.Text, e.Thumbnail)).ToList();
        return Results.Ok(new Page<ValidationPredictionDto>(data, found.HasMore, found.FirstId, found.LastId));
    }
}
