using Platform.Training.Baseline;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>The linear baseline of a text job: fitted on the job's split, written to model/baseline.</summary>
internal static class JobBaseline
{
    /// <summary>Text jobs train on a CSV (the trainer's own test for BERT data).</summary>
    public static bool IsText(TrainingRequest request) =>
        request.BaseModel != TabularClassifier.Preset && File.Exists(request.DataPath) && request.DataPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Fits the baseline, or logs why it could not and returns null: the baseline is a yardstick next to
    /// the product, and data it cannot read fails the fine-tuning with a better message anyway.
    /// </summary>
    public static BaselineResult? Fit(TrainingRequest request, Action<string> log, CancellationToken cancellationToken)
    {
        try
        {
            return BaselineTrainer.Train(request, log: log, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IOException)
        {
            log($"Baseline not fitted: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// The trainer owns the model folder and may have rewritten it after the baseline was saved: if the
    /// baseline's files are gone, fitting again gives them back exactly (same data, split and seed).
    /// </summary>
    public static BaselineResult? EnsureSaved(TrainingRequest request, BaselineResult? baseline, CancellationToken cancellationToken)
    {
        if (baseline is null || File.Exists(Path.Combine(baseline.ModelDirectory, MetricsFile.FileName))
            && File.Exists(Path.Combine(baseline.ModelDirectory, ClassifierModel.WeightsFile)))
            return baseline;
        return BaselineTrainer.Train(request, cancellationToken: cancellationToken);
    }

    public static string Message(BaselineResult baseline)
    {
        var evaluation = baseline.Metrics.Evaluation;
        return $"Baseline (TF-IDF + logistic regression): accuracy {evaluation.Accuracy:P1}, macro-F1 {evaluation.MacroF1:F3} " +
            $"on the {baseline.Metrics.Split} split, fitted in {baseline.Seconds:F1} s";
    }
}
