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

    /// <summary>ROC and precision-recall, one-vs-rest, from the model's scores (older metrics files lack them).</summary>
    [JsonPropertyName("curves")]
    public ScoreCurves? Curves { get; init; }

    /// <summary>Macro one-vs-rest ROC AUC (a copy of the curves' own, for readers that want one number).</summary>
    [JsonPropertyName("macro_roc_auc")]
    public double? MacroRocAuc => Curves?.MacroRocAuc;

    /// <summary>
    /// Metrics from raw logits (row-major [examples × classes]): the prediction is the highest logit, the
    /// curves use the softmax probabilities.
    /// </summary>
    public static ClassificationMetrics FromLogits(IReadOnlyList<int> truth, float[] logits, IReadOnlyList<string> labels)
    {
        var classes = labels.Count;
        if (logits.Length != truth.Count * classes)
            throw new ArgumentException($"{logits.Length} logits for {truth.Count} examples of {classes} classes");
        var predicted = new int[truth.Count];
        var probabilities = new double[logits.Length];
        for (var i = 0; i < truth.Count; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            var best = 0;
            for (var c = 1; c < classes; c++)
                best = row[c] > row[best] ? c : best;
            predicted[i] = best;
            double sum = 0;
            for (var c = 0; c < classes; c++)
                sum += probabilities[i * classes + c] = Math.Exp((double)row[c] - row[best]);
            for (var c = 0; c < classes; c++)
                probabilities[i * classes + c] /= sum;
        }

        return Compute(truth, predicted, labels) with { Curves = ScoreCurves.Compute(truth, probabilities, labels) };
    }

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
