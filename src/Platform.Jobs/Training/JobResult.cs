using System.Text.Json;
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
/// What pages and the API read from a finished job's result JSON: the model's scores, its baseline and
/// the verdict of <see cref="ResultAssessment"/>, stored by the worker so that no page recomputes them.
/// Results written before the baseline existed have neither; they read as null.
/// </summary>
public sealed record JobResult(double? Accuracy, double? MacroF1, BaselineSummary? Baseline, ResultAssessment? Assessment)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public bool HasWarning => Assessment is { Warning: true };

    public static JobResult? Parse(string? resultJson)
    {
        if (string.IsNullOrEmpty(resultJson))
            return null;
        try
        {
            using var document = JsonDocument.Parse(resultJson);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return null;
            return new JobResult(Number(root, "accuracy"), Number(root, "macroF1"),
                Object<BaselineSummary>(root, "baseline"), Object<ResultAssessment>(root, "assessment"));
        }
        catch (JsonException)
        {
            // A result of another job kind (or a hand-written one) is not ours to read.
            return null;
        }
    }

    private static double? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static T? Object<T>(JsonElement root, string name) where T : class =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value.Deserialize<T>(Json) : null;
}
