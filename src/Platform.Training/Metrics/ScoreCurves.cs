using System.Text.Json.Serialization;

namespace Platform.Training.Metrics;

/// <summary>Points of a ROC curve: false and true positive rates at each decision threshold.</summary>
public sealed record RocCurve(
    [property: JsonPropertyName("fpr")] double[] FalsePositiveRate,
    [property: JsonPropertyName("tpr")] double[] TruePositiveRate,
    [property: JsonPropertyName("thresholds")] double[] Thresholds);

/// <summary>Points of a precision-recall curve, recall decreasing (scikit-learn's order).</summary>
public sealed record PrecisionRecallCurve(
    [property: JsonPropertyName("precision")] double[] Precision,
    [property: JsonPropertyName("recall")] double[] Recall,
    [property: JsonPropertyName("thresholds")] double[] Thresholds);

/// <summary>One class against the rest: its ROC and precision-recall curves and their areas.</summary>
/// <param name="RocAuc">Null when the evaluated split has no example of the class, or only examples of it.</param>
/// <param name="AveragePrecision">Null when the evaluated split has no example of the class.</param>
public sealed record ClassCurves(
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("positives")] int Positives,
    [property: JsonPropertyName("roc_auc")] double? RocAuc,
    [property: JsonPropertyName("average_precision")] double? AveragePrecision,
    [property: JsonPropertyName("roc")] RocCurve Roc,
    [property: JsonPropertyName("pr")] PrecisionRecallCurve PrecisionRecall);

/// <summary>
/// ROC and precision-recall, one-vs-rest, computed from the softmax score of each class exactly as
/// scikit-learn 1.2 computes them (<c>roc_curve</c> with drop_intermediate, <c>auc</c>,
/// <c>precision_recall_curve</c>, <c>average_precision_score</c>), so the numbers can be checked there.
/// </summary>
/// <remarks>
/// Areas are computed on the full curves; the stored curves keep at most <see cref="MaxPoints"/> points
/// each (first and last always kept) so that metrics.json of a large split stays small enough to read.
/// The macro averages are over the classes whose area is defined (scikit-learn refuses a split that
/// lacks a class; a small validation split often does).
/// </remarks>
public sealed record ScoreCurves(
    [property: JsonPropertyName("macro_roc_auc")] double? MacroRocAuc,
    [property: JsonPropertyName("macro_average_precision")] double? MacroAveragePrecision,
    [property: JsonPropertyName("per_class")] IReadOnlyList<ClassCurves> PerClass)
{
    public const int MaxPoints = 201;

    /// <summary><paramref name="scores"/>: row-major [examples × classes] scores (softmax probabilities).</summary>
    public static ScoreCurves Compute(IReadOnlyList<int> truth, double[] scores, IReadOnlyList<string> labels)
    {
        var classes = labels.Count;
        if (scores.Length != truth.Count * classes)
            throw new ArgumentException($"{scores.Length} scores for {truth.Count} examples of {classes} classes");

        var perClass = new ClassCurves[classes];
        var column = new double[truth.Count];
        var positive = new bool[truth.Count];
        for (var c = 0; c < classes; c++)
        {
            for (var i = 0; i < truth.Count; i++)
            {
                column[i] = scores[i * classes + c];
                positive[i] = truth[i] == c;
            }

            perClass[c] = ForClass(labels[c], positive, column);
        }

        var aucs = perClass.Where(p => p.RocAuc is not null).Select(p => p.RocAuc!.Value).ToList();
        var aps = perClass.Where(p => p.AveragePrecision is not null).Select(p => p.AveragePrecision!.Value).ToList();
        return new ScoreCurves(aucs.Count == 0 ? null : aucs.Average(), aps.Count == 0 ? null : aps.Average(), perClass);
    }

    /// <summary>One class: scikit-learn's <c>_binary_clf_curve</c>, then ROC and PR from it.</summary>
    internal static ClassCurves ForClass(string label, bool[] positive, double[] score)
    {
        var n = score.Length;
        // Descending score; ties are one threshold, so their order does not matter.
        var order = Enumerable.Range(0, n).OrderByDescending(i => score[i]).ToArray();
        var tps = new List<double>();
        var fps = new List<double>();
        var thresholds = new List<double>();
        double tp = 0;
        for (var k = 0; k < n; k++)
        {
            tp += positive[order[k]] ? 1 : 0;
            if (k == n - 1 || score[order[k + 1]] != score[order[k]])
            {
                tps.Add(tp);
                fps.Add(k + 1 - tp);
                thresholds.Add(score[order[k]]);
            }
        }

        var positives = (int)tp;
        var negatives = n - positives;
        var roc = Roc(tps, fps, thresholds, positives, negatives, out var auc);
        var pr = PrecisionRecall(tps, fps, thresholds, positives, out var averagePrecision);
        return new ClassCurves(label, positives, auc, averagePrecision, roc, pr);
    }

    private static RocCurve Roc(List<double> tps, List<double> fps, List<double> thresholds, int positives, int negatives, out double? auc)
    {
        // drop_intermediate: keep the ends and every point where the curve bends.
        var keep = new List<int>();
        for (var k = 0; k < tps.Count; k++)
        {
            if (tps.Count <= 2 || k == 0 || k == tps.Count - 1
                || fps[k + 1] - 2 * fps[k] + fps[k - 1] != 0 || tps[k + 1] - 2 * tps[k] + tps[k - 1] != 0)
                keep.Add(k);
        }

        var fpr = new double[keep.Count + 1];
        var tpr = new double[keep.Count + 1];
        var at = new double[keep.Count + 1];
        // scikit-learn 1.2 puts the first threshold one above the highest score, so the curve starts at (0, 0).
        at[0] = thresholds.Count == 0 ? 1 : thresholds[0] + 1;
        for (var j = 0; j < keep.Count; j++)
        {
            fpr[j + 1] = negatives == 0 ? double.NaN : fps[keep[j]] / negatives;
            tpr[j + 1] = positives == 0 ? double.NaN : tps[keep[j]] / positives;
            at[j + 1] = thresholds[keep[j]];
        }

        auc = null;
        if (positives > 0 && negatives > 0)
        {
            double area = 0;
            for (var j = 1; j < fpr.Length; j++)
                area += (fpr[j] - fpr[j - 1]) * (tpr[j] + tpr[j - 1]) / 2;
            auc = area;
        }
        else
        {
            // NaN is not JSON: an undefined rate is stored as 0, and the null area says why.
            Array.Fill(positives == 0 ? tpr : fpr, 0);
        }

        return Thin(new RocCurve(fpr, tpr, at));
    }

    private static PrecisionRecallCurve PrecisionRecall(List<double> tps, List<double> fps, List<double> thresholds, int positives,
        out double? averagePrecision)
    {
        var count = tps.Count;
        var precision = new double[count + 1];
        var recall = new double[count + 1];
        var at = new double[count];
        // Reversed so recall decreases; the curve ends at (recall 0, precision 1).
        for (var j = 0; j < count; j++)
        {
            var k = count - 1 - j;
            var predicted = tps[k] + fps[k];
            precision[j] = predicted == 0 ? 0 : tps[k] / predicted;
            recall[j] = positives == 0 ? 1 : tps[k] / positives;
            at[j] = thresholds[k];
        }

        precision[count] = 1;
        recall[count] = 0;
        averagePrecision = null;
        if (positives > 0)
        {
            double sum = 0;
            for (var j = 0; j < count; j++)
                sum -= (recall[j + 1] - recall[j]) * precision[j];
            averagePrecision = sum;
        }

        var thinned = Indices(precision.Length);
        return thinned is null
            ? new PrecisionRecallCurve(precision, recall, at)
            : new PrecisionRecallCurve(Pick(precision, thinned), Pick(recall, thinned),
                Pick(at, thinned.Where(i => i < at.Length).ToArray()));
    }

    private static RocCurve Thin(RocCurve curve)
    {
        var picked = Indices(curve.FalsePositiveRate.Length);
        return picked is null
            ? curve
            : new RocCurve(Pick(curve.FalsePositiveRate, picked), Pick(curve.TruePositiveRate, picked), Pick(curve.Thresholds, picked));
    }

    /// <summary>Evenly spaced indices including both ends, or null when the curve is short enough already.</summary>
    private static int[]? Indices(int length)
    {
        if (length <= MaxPoints)
            return null;
        return Enumerable.Range(0, MaxPoints).Select(j => (int)Math.Round((double)j * (length - 1) / (MaxPoints - 1))).Distinct().ToArray();
    }

    private static double[] Pick(double[] values, int[] indices) => indices.Select(i => values[i]).ToArray();
}
