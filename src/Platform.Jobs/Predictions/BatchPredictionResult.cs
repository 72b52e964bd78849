using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Jobs.Predictions;

/// <summary>
/// A succeeded batch prediction's result JSON (<c>jobs.result</c>): where its CSV is stored, how many rows it
/// classified, and with which model. Names fixed by attribute, as the rows already stored spell them.
/// </summary>
public sealed record BatchPredictionResult(
    [property: JsonPropertyName("predictionsFolder")] string PredictionsFolder,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("rows")] int Rows,
    [property: JsonPropertyName("modelJobId")] Guid ModelJobId)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>The result, or null when the JSON is not a batch prediction's.</summary>
    public static BatchPredictionResult? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        try
        {
            return JsonSerializer.Deserialize<BatchPredictionResult>(json) is { PredictionsFolder: not null } result ? result : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
