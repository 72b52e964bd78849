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
/// A finished training job's result JSON (<c>jobs.result</c>), written by <see cref="TrainingJobHandler"/> and
/// read by pages, the API, the model queries and the export: the stored model folder, the model's scores,
/// its baseline and the verdict of <see cref="ResultAssessment"/>, so that no page recomputes them. The
/// names are fixed by attribute: rows written by earlier versions (anonymous objects with these names)
/// and the SQL that asks <c>result ? 'modelFolder'</c> depend on them. Older rows lack the later fields
/// (baseline, assessment, modelFolder) and read them as null.
/// </summary>
public sealed record JobResult
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
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

    [JsonIgnore]
    public bool HasWarning => Assessment is { Warning: true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static JobResult? Parse(string? resultJson)
    {
        if (string.IsNullOrEmpty(resultJson))
            return null;
        try
        {
            return JsonSerializer.Deserialize<JobResult>(resultJson, Json);
        }
        catch (JsonException)
        {
            // A result of another job kind (or a hand-written one) is not ours to read.
            return null;
        }
    }

    /// <inheritdoc cref="Parse(string?)"/>
    public static JobResult? Parse(JsonElement result) =>
        result.ValueKind == JsonValueKind.Object ? Parse(result.GetRawText()) : null;
}
