using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Training.Metrics;

/// <summary>
/// One evaluated example: where it came from, its true and predicted class and the softmax score of each
/// class. <see cref="Text"/> (text: the text; tabular: the row) and <see cref="Thumbnail"/> (images: a PNG
/// data URI of the image as the model saw it) are kept for misclassified examples only, so the file of a
/// large split stays small.
/// </summary>
public sealed record ValidationExample(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("truth")] int Truth,
    [property: JsonPropertyName("predicted")] int Predicted,
    [property: JsonPropertyName("scores")] float[] Scores)
{
    [JsonPropertyName("text")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Text { get; init; }

    [JsonPropertyName("thumbnail")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Thumbnail { get; init; }

    [JsonIgnore]
    public float Confidence => Scores[Predicted];

    [JsonIgnore]
    public bool Correct => Truth == Predicted;
}

/// <summary>What the evaluation knows of each example beyond its label: an id, its text, a thumbnail.</summary>
public interface IExampleDescriber
{
    /// <summary>"line 12", "cats/001.png": how the tenant finds the example in the uploaded file.</summary>
    string Id(int index);

    /// <summary>The example as text (a text, or a table row); null for images.</summary>
    string? Text(int index);

    /// <summary>A PNG data URI of the example (images); null otherwise.</summary>
    string? Thumbnail(int index);
}

/// <summary>
/// validation_predictions.json of a model folder: the final evaluation's prediction and scores for each
/// evaluated example, written by the trainer next to metrics.json (and so stored, encrypted, with the
/// model). The model page lists the misclassified examples from it and computes precision and recall at a
/// confidence threshold (<see cref="ThresholdReport"/>).
/// </summary>
public sealed record ValidationPredictions(
    [property: JsonPropertyName("split")] string Split,
    [property: JsonPropertyName("labels")] IReadOnlyList<string> Labels,
    [property: JsonPropertyName("examples")] IReadOnlyList<ValidationExample> Examples)
{
    public const string FileName = "validation_predictions.json";

    /// <summary>Misclassified examples kept with their text or thumbnail, most confident mistakes first.</summary>
    public const int MaxDescribed = 200;

    /// <summary>Characters of an example's text kept.</summary>
    public const int MaxTextLength = 1000;

    private static readonly JsonSerializerOptions Options = new();

    /// <summary>The misclassified examples, the most confident mistake first.</summary>
    public IEnumerable<ValidationExample> Misclassified =>
        Examples.Where(e => !e.Correct).OrderByDescending(e => e.Confidence).ThenBy(e => e.Id, StringComparer.Ordinal);

    /// <summary><paramref name="logits"/>: row-major [examples × classes], for the examples <paramref name="indices"/> name.</summary>
    public static ValidationPredictions Create(string split, IReadOnlyList<string> labels, IReadOnlyList<int> indices,
        IReadOnlyList<int> truth, float[] logits, IExampleDescriber describer)
    {
        var classes = labels.Count;
        if (logits.Length != indices.Count * classes || truth.Count != indices.Count)
            throw new ArgumentException($"{logits.Length} logits and {truth.Count} labels for {indices.Count} examples of {classes} classes");
        var examples = new ValidationExample[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            var scores = Softmax(logits.AsSpan(i * classes, classes));
            var predicted = 0;
            for (var c = 1; c < classes; c++)
                predicted = logits[i * classes + c] > logits[i * classes + predicted] ? c : predicted;
            examples[i] = new ValidationExample(describer.Id(indices[i]), truth[i], predicted, scores);
        }

        // Only the mistakes a person will look at carry their content.
        var described = Enumerable.Range(0, examples.Length).Where(i => !examples[i].Correct)
            .OrderByDescending(i => examples[i].Confidence).Take(MaxDescribed);
        foreach (var i in described)
        {
            var text = describer.Text(indices[i]);
            examples[i] = examples[i] with
            {
                Text = text is { Length: > MaxTextLength } ? text[..MaxTextLength] + "…" : text,
                Thumbnail = describer.Thumbnail(indices[i]),
            };
        }

        return new ValidationPredictions(split, labels, examples);
    }

    private static float[] Softmax(ReadOnlySpan<float> row)
    {
        var max = row[0];
        foreach (var value in row)
            max = Math.Max(max, value);
        var scores = new float[row.Length];
        double sum = 0;
        for (var c = 0; c < row.Length; c++)
            sum += Math.Exp((double)row[c] - max);
        for (var c = 0; c < row.Length; c++)
            // Four decimals are what the page shows; they keep the file a third of full precision's size.
            scores[c] = (float)Math.Round(Math.Exp((double)row[c] - max) / sum, 4);
        return scores;
    }

    public void Write(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Options));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The file's text; <paramref name="source"/> names it in errors.</summary>
    public static ValidationPredictions Parse(string json, string source)
    {
        try
        {
            var parsed = JsonSerializer.Deserialize<ValidationPredictions>(json, Options)
                         ?? throw new InvalidDataException($"{source} is empty");
            if (parsed.Examples.Any(e => e.Scores.Length != parsed.Labels.Count || e.Truth < 0 || e.Truth >= parsed.Labels.Count
                                         || e.Predicted < 0 || e.Predicted >= parsed.Labels.Count))
                throw new InvalidDataException($"{source}: an example's classes do not match the {parsed.Labels.Count} labels");
            return parsed;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a valid predictions file: {e.Message}", e);
        }
    }
}
