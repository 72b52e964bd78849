using System.Text.Json.Serialization;

namespace Platform.Training.Metrics;

public sealed record ClassMetrics(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] int Support);

/// <summary>Evaluation of a classifier on one split.</summary>
/// <remarks>
/// Undefined ratios (no prediction or no example of a class) count as 0, as scikit-learn's zero_division=0.
/// <see cref="MacroF1"/> is scikit-learn's default <c>f1_score(average="macro")</c>: the mean over the labels
/// that occur in the truth or the predictions, so a small evaluated split that lacks a class is not
/// dragged down by it. <see cref="MacroF1AllLabels"/> averages over every label of the model.
/// </remarks>
public sealed record ClassificationMetrics(
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("macro_f1")] double MacroF1,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("labels")] IReadOnlyList<string> Labels,
    [property: JsonPropertyName("per_class")] IReadOnlyList<ClassMetrics> PerClass,
    [property: JsonPropertyName("confusion_matrix")] int[][] ConfusionMatrix)
{
    /// <summary>Macro-F1 over all of the model's labels, absent ones counting 0 (older metrics files lack it).</summary>
    [JsonPropertyName("macro_f1_all_labels")]
    public double? MacroF1AllLabels { get; init; }

    /// <summary>Computes the metrics; <see cref="ConfusionMatrix"/>[true][predicted].</summary>
    public static ClassificationMetrics Compute(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, IReadOnlyList<string> labels)
    {
        if (truth.Count != predicted.Count)
        {
            throw new ArgumentException($"{truth.Count} true labels but {predicted.Count} predictions");
        }

        var classes = labels.Count;
        var matrix = new int[classes][];
        for (var i = 0; i < classes; i++)
        {
            matrix[i] = new int[classes];
        }

        var correct = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            if ((uint)truth[i] >= classes || (uint)predicted[i] >= classes)
            {
                throw new ArgumentOutOfRangeException(nameof(truth), $"label id out of range at {i}");
            }

            matrix[truth[i]][predicted[i]]++;
            correct += truth[i] == predicted[i] ? 1 : 0;
        }

        var perClass = new ClassMetrics[classes];
        var occurring = new bool[classes];
        for (var c = 0; c < classes; c++)
        {
            var truePositives = matrix[c][c];
            var support = matrix[c].Sum();
            var predictedCount = 0;
            for (var t = 0; t < classes; t++)
            {
                predictedCount += matrix[t][c];
            }

            var precision = Ratio(truePositives, predictedCount);
            var recall = Ratio(truePositives, support);
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassMetrics(labels[c], precision, recall, f1, support);
            occurring[c] = support > 0 || predictedCount > 0;
        }

        var accuracy = Ratio(correct, truth.Count);
        var present = perClass.Where((_, c) => occurring[c]).ToList();
        var macroF1 = present.Count == 0 ? 0 : present.Average(m => m.F1);
        var macroF1AllLabels = classes == 0 ? 0 : perClass.Average(m => m.F1);
        return new ClassificationMetrics(accuracy, macroF1, truth.Count, labels.ToArray(), perClass, matrix)
        {
            MacroF1AllLabels = macroF1AllLabels,
        };
    }

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}
