using System.Globalization;
using Platform.Training.Training;

namespace Platform.Training.Metrics;

/// <summary>One thing wrong with a result, for people: a stable code and a sentence with the numbers.</summary>
public sealed record ResultWarning(string Code, string Message)
{
    /// <summary>Accuracy is not clearly above always answering the most frequent label.</summary>
    public const string AccuracyAtChance = "accuracy_at_chance";

    /// <summary>Macro-F1 is not above always answering the most frequent label.</summary>
    public const string MacroF1AtChance = "macro_f1_at_chance";

    /// <summary>A text model scores below the linear baseline fitted on the same split.</summary>
    public const string BelowBaseline = "below_baseline";
}

/// <summary>What always answering the most frequent label of the evaluated split scores: the chance line.</summary>
/// <param name="AccuracyMargin">How far above <paramref name="MajorityShare"/> accuracy must be to count as clearly above it.</param>
public sealed record ChanceLevel(string MajorityLabel, double MajorityShare, double MajorityMacroF1, double AccuracyMargin);

/// <summary>
/// The one rule for whether a finished model is worth shipping as a plain success. A result at or
/// below chance (accuracy not clearly above the majority label's share of the evaluated split, or
/// macro-F1 not above what answering the majority label gives), or a text model below its linear
/// baseline on accuracy or macro-F1, is a warning, with what to try. Computed once when a job ends and
/// stored with its result, so every page shows the same verdict without recomputing it.
/// </summary>
/// <param name="Summary">One line for a badge's tooltip or a notice's heading; empty when there is nothing to warn about.</param>
public sealed record ResultAssessment(
    bool Warning,
    string Summary,
    IReadOnlyList<ResultWarning> Warnings,
    IReadOnlyList<string> Advice,
    ChanceLevel Chance,
    double? BaselineAccuracy,
    double? BaselineMacroF1)
{
    /// <summary>
    /// One-sided z for the accuracy margin: a model whose true accuracy equals the majority share
    /// lands above majority + margin by luck about 5% of the time.
    /// </summary>
    public const double MarginZ = 1.645;

    /// <summary>The smallest margin, for large splits where the statistical one shrinks to nothing.</summary>
    public const double MinimumMargin = 0.005;

    /// <summary>
    /// Judges <paramref name="model"/>'s evaluation; <paramref name="baseline"/> is the linear baseline's
    /// evaluation on the same split (text models), null when there is none (image models).
    /// </summary>
    public static ResultAssessment Assess(ClassificationMetrics model, ClassificationMetrics? baseline, ModelKind kind)
    {
        var chance = ChanceOf(model);
        var warnings = new List<ResultWarning>();
        var majority = Quote(chance.MajorityLabel);
        if (model.Count > 0 && model.Accuracy <= chance.MajorityShare + chance.AccuracyMargin)
        {
            warnings.Add(new ResultWarning(ResultWarning.AccuracyAtChance,
                $"Accuracy {Percent(model.Accuracy)} is not clearly above the {Percent(chance.MajorityShare)} that always answering {majority} " +
                $"gets on the same {model.Count:N0} examples (it would need more than {Percent(chance.MajorityShare + chance.AccuracyMargin)})."));
        }

        if (model.Count > 0 && model.MacroF1 <= chance.MajorityMacroF1 + 1e-9)
        {
            warnings.Add(new ResultWarning(ResultWarning.MacroF1AtChance,
                $"Macro-F1 {F1(model.MacroF1)} is no better than the {F1(chance.MajorityMacroF1)} of always answering {majority}: " +
                "the model does not tell the labels apart."));
        }

        var belowBaseline = baseline is not null
            && (model.Accuracy < baseline.Accuracy - 1e-9 || model.MacroF1 < baseline.MacroF1 - 1e-9);
        if (belowBaseline)
        {
            warnings.Add(new ResultWarning(ResultWarning.BelowBaseline,
                $"The linear baseline (TF-IDF + logistic regression) fitted on the same training split does better: " +
                $"accuracy {Percent(baseline!.Accuracy)} against {Percent(model.Accuracy)}, " +
                $"macro-F1 {F1(baseline.MacroF1)} against {F1(model.MacroF1)}."));
        }

        var atChance = warnings.Any(w => w.Code != ResultWarning.BelowBaseline);
        var summary = atChance ? "No better than chance: this model does not beat always answering the most frequent label."
            : belowBaseline ? "Below the baseline: TF-IDF + logistic regression on the same split does better than this model."
            : "";
        return new ResultAssessment(warnings.Count > 0, summary, warnings, Advise(atChance, belowBaseline, baseline, chance, kind),
            chance, baseline?.Accuracy, baseline?.MacroF1);
    }

    /// <summary>The chance line of an evaluation: the majority label of its examples, scored the way the metrics score.</summary>
    public static ChanceLevel ChanceOf(ClassificationMetrics metrics)
    {
        if (metrics.Count == 0 || metrics.PerClass.Count == 0)
            return new ChanceLevel(metrics.Labels.FirstOrDefault() ?? "", 0, 0, 0);
        var majority = 0;
        for (var c = 1; c < metrics.PerClass.Count; c++)
            majority = metrics.PerClass[c].Support > metrics.PerClass[majority].Support ? c : majority;
        var share = (double)metrics.PerClass[majority].Support / metrics.Count;
        // Rebuilt from the supports and scored by ClassificationMetrics itself, so the line follows
        // however macro-F1 averages (over all labels or only the ones present).
        var truth = metrics.PerClass.SelectMany((c, id) => Enumerable.Repeat(id, c.Support)).ToArray();
        var majorityF1 = ClassificationMetrics.Compute(truth, Enumerable.Repeat(majority, truth.Length).ToArray(), metrics.Labels).MacroF1;
        var margin = Math.Max(MinimumMargin, MarginZ * Math.Sqrt(share * (1 - share) / metrics.Count));
        return new ChanceLevel(metrics.PerClass[majority].Label, share, majorityF1, margin);
    }

    private static List<string> Advise(bool atChance, bool belowBaseline, ClassificationMetrics? baseline, ChanceLevel chance, ModelKind kind)
    {
        var advice = new List<string>();
        if (!atChance && !belowBaseline)
            return advice;
        var baselineUseful = baseline is not null && baseline.Accuracy > chance.MajorityShare + chance.AccuracyMargin
            && baseline.MacroF1 > chance.MajorityMacroF1;
        if (belowBaseline && baselineUseful)
            advice.Add("Use the baseline model: it classifies in the playground, through the API (\"variant\": \"baseline\") and is in the download.");
        if (atChance)
            advice.Add("Add labelled examples: a few dozen per label at the very least, more for labels that are hard to tell apart.");
        advice.Add("Train longer: more epochs, or the \"best\" preset.");
        if (kind == ModelKind.Cnn)
        {
            advice.Add("Pick the CNN whose input size and channels match your images.");
        }
        else if (kind == ModelKind.Tabular)
        {
            advice.Add("Check the target column, and exclude identifier columns (ids, names, dates): they cannot generalise.");
        }
        else
        {
            advice.Add("Start from a pretrained base model instead of a randomly initialised one.");
            if (atChance && !belowBaseline && baselineUseful)
                advice.Add("Use the baseline model meanwhile: it does better than chance on this data.");
        }

        return advice;
    }

    private static string Quote(string label) => $"“{label}”";

    private static string Percent(double value) => value.ToString("0.0%", CultureInfo.InvariantCulture);

    private static string F1(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
