using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Training.Metrics;

/// <summary>One epoch of training as metrics.json records it.</summary>
public sealed record EpochRecord(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("train_loss")] double TrainLoss,
    [property: JsonPropertyName("validation_loss")] double? ValidationLoss,
    [property: JsonPropertyName("validation_accuracy")] double? ValidationAccuracy,
    [property: JsonPropertyName("validation_macro_f1")] double? ValidationMacroF1,
    [property: JsonPropertyName("seconds")] double Seconds);

/// <summary>The metrics.json of a model folder.</summary>
public sealed record MetricsReport(
    [property: JsonPropertyName("evaluation")] ClassificationMetrics Evaluation,
    [property: JsonPropertyName("split")] string Split,
    [property: JsonPropertyName("history")] IReadOnlyList<EpochRecord> History)
{
    /// <summary>The epoch whose weights the model folder holds (best validation macro-F1); null: the last.</summary>
    [JsonPropertyName("selected_epoch")]
    public int? SelectedEpoch { get; init; }

    /// <summary>The settings the run trained with (older files lack them).</summary>
    [JsonPropertyName("plan")]
    public Training.TrainingPlan? Plan { get; init; }
}

public static class MetricsFile
{
    public const string FileName = "metrics.json";

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static void Write(string path, MetricsReport report)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(report, Options));
        File.Move(temporary, path, overwrite: true);
    }

    public static MetricsReport Read(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>A metrics file's text; <paramref name="source"/> names it in errors.</summary>
    public static MetricsReport Parse(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<MetricsReport>(json, Options)
                ?? throw new InvalidDataException($"{source}: empty metrics file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a metrics file ({e.Message})", e);
        }
    }
}
