namespace Platform.Training.Metrics;

/// <summary>One class at a confidence threshold: precision and recall of the answers kept.</summary>
/// <param name="Precision">Of the kept predictions of this class, the share that are right; null when none is kept.</param>
/// <param name="Recall">Of the examples of this class, the share predicted right with enough confidence; null when the split has none.</param>
public sealed record ThresholdClass(string Label, int Support, int Kept, double? Precision, double? Recall);

/// <summary>
/// Precision and recall when the model answers only at or above a confidence (its top softmax score)
/// and abstains below it, from the stored validation scores. Every example has one true class, so the
/// overall (micro) recall is the share of all examples answered right, and precision the share of the
/// answers that are right; coverage is the share answered.
/// </summary>
public sealed record ThresholdReport(double Threshold, int Count, int Kept, int KeptCorrect, IReadOnlyList<ThresholdClass> PerClass)
{
    public double Coverage => Count == 0 ? 0 : (double)Kept / Count;

    /// <summary>Null when nothing is kept.</summary>
    public double? Precision => Kept == 0 ? null : (double)KeptCorrect / Kept;

    public double Recall => Count == 0 ? 0 : (double)KeptCorrect / Count;

    public static ThresholdReport At(ValidationPredictions predictions, double threshold)
    {
        if (double.IsNaN(threshold) || threshold < 0 || threshold > 1)
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "a threshold is between 0 and 1");
        var classes = predictions.Labels.Count;
        var support = new int[classes];
        var kept = new int[classes];
        var right = new int[classes];
        foreach (var example in predictions.Examples)
        {
            support[example.Truth]++;
            // Scores are stored to four decimals: compare at that precision, so 0.9 keeps a stored 0.9.
            if (example.Confidence + 1e-6 < threshold)
                continue;
            kept[example.Predicted]++;
            if (example.Correct)
                right[example.Predicted]++;
        }

        var perClass = predictions.Labels.Select((label, c) => new ThresholdClass(label, support[c], kept[c],
            kept[c] == 0 ? null : (double)right[c] / kept[c], support[c] == 0 ? null : (double)right[c] / support[c])).ToList();
        return new ThresholdReport(threshold, predictions.Examples.Count, kept.Sum(), right.Sum(), perClass);
    }
}
