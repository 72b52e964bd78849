using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Training.Baseline;
using Platform.Training.Metrics;

namespace Platform.Jobs.Training;

/// <summary>The linear baseline a text job fitted next to its model, as the job's result records it.</summary>
/// <param name="Directory">The baseline's folder, relative to the model folder.</param>
public sealed record BaselineSummary(string Directory, double Accuracy, double MacroF1, double C, int Features, int TrainingRows, double Seconds)
{
    public static BaselineSummary From(BaselineResult result) => new(BaselineTrainer.FolderName, result.Metrics.Evaluation.Accuracy,
        result.Metrics.Evaluation.MacroF1, result.C, result.Features, result.TrainingRows, Math.Round(result.Seconds, 2));
}

/// <summary>
/// A finished training job's result JSON (<c>jobs.result</c>) as stored: written by <see cref="TrainingJobHandler"/>,
/// read by the model queries, the export and (through <see cref="JobResult"/>) pages and the API: the stored model folder, the model's scores,
/// its baseline and the verdict of <see cref="ResultAssessment"/>, so that no page recomputes them. The
/// names are fixed by attribute: rows written by earlier versions (anonymous objects with these names)
/// and the SQL that asks <c>result ? 'modelFolder'</c> depend on them. Older rows lack the later fields
/// (baseline, assessment, modelFolder) and read them as null.
/// </summary>
public sealed record TrainingJobResult
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // Null fields are written as null, as the anonymous objects of earlier versions did.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The stored folder (StoredFolders) holding the model.</summary>
    [JsonPropertyName("modelFolder")]
    public string? ModelFolder { get; init; }

    /// <summary>Results from before the artifact store named a local path; LegacyJobFolderMigration moves them.</summary>
    [JsonPropertyName("modelDirectory")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ModelDirectory { get; init; }

    [JsonPropertyName("accuracy")]
    public double? Accuracy { get; init; }

    [JsonPropertyName("macroF1")]
    public double? MacroF1 { get; init; }

    [JsonPropertyName("steps")]
    public long? Steps { get; init; }

    [JsonPropertyName("epochs")]
    public int? Epochs { get; init; }

    [JsonPropertyName("stoppedEarly")]
    public bool? StoppedEarly { get; init; }

    [JsonPropertyName("selectedEpoch")]
    public int? SelectedEpoch { get; init; }

    [JsonPropertyName("resumed")]
    public bool? Resumed { get; init; }

    [JsonPropertyName("baseline")]
    public BaselineSummary? Baseline { get; init; }

    [JsonPropertyName("assessment")]
    public ResultAssessment? Assessment { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TrainingJobResult? Parse(string? resultJson)
    {
        if (string.IsNullOrEmpty(resultJson))
            return null;
        try
        {
            return JsonSerializer.Deserialize<TrainingJobResult>(resultJson, Json);
        }
        catch (JsonException)
        {
            // A result of another job kind (or a hand-written one) is not ours to read.
            return null;
        }
    }

    /// <inheritdoc cref="Parse(string?)"/>
    public static TrainingJobResult? Parse(JsonElement result) =>
        result.ValueKind == JsonValueKind.Object ? Parse(result.GetRawText()) : null;
}

/// <summary>
/// What pages and the API read from a finished job's result (<see cref="TrainingJobResult"/>): the model's
/// scores, its baseline and the verdict of <see cref="ResultAssessment"/>. The API returns this record as a
/// job's <c>result</c>, so it names no server path. Results written before the baseline existed have
/// neither; they read as null.
/// </summary>
public sealed record JobResult(double? Accuracy, double? MacroF1, BaselineSummary? Baseline, ResultAssessment? Assessment)
{
    public bool HasWarning => Assessment is { Warning: true };

    public static JobResult? Parse(string? resultJson) => TrainingJobResult.Parse(resultJson) is { } stored
        ? new JobResult(stored.Accuracy, stored.MacroF1, stored.Baseline, stored.Assessment)
        : null;
}
