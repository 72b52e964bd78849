using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Jobs.Workers;

/// <summary>
/// A running job's progress as the worker stores it in <c>jobs.progress</c> and the job page, the grid
/// and the API read it back. The names are fixed by attribute, not by a naming policy: rows written by
/// earlier versions (anonymous objects with these camel-case names) and the SQL that reads
/// <c>progress-&gt;&gt;'step'</c> depend on them.
/// </summary>
public sealed record JobProgressData(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("totalSteps")] long TotalSteps,
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("epochs")] int Epochs)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A diverged run's loss is NaN; written as "NaN" rather than failing the report.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    [JsonPropertyName("loss")]
    public double? Loss { get; init; }

    [JsonPropertyName("learningRate")]
    public double? LearningRate { get; init; }

    [JsonPropertyName("samplesPerSecond")]
    public double? SamplesPerSecond { get; init; }

    [JsonPropertyName("etaSeconds")]
    public double? EtaSeconds { get; init; }

    /// <summary>A pre-training's held-out perplexity.</summary>
    [JsonPropertyName("perplexity")]
    public double? Perplexity { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The stored progress, or null when there is none or it is not a progress object.</summary>
    public static JobProgressData? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
            return null;
        try
        {
            return JsonSerializer.Deserialize<JobProgressData>(json, Json);
        }
        catch (JsonException)
        {
            // Not an object, or a field of another type: no progress to show rather than a broken page.
            return null;
        }
    }
}
