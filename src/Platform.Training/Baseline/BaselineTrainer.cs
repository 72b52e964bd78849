using System.Diagnostics;
using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Training.Baseline;

/// <summary>What fitting the baseline gave: the folder it wrote, its evaluation and how C was chosen.</summary>
/// <param name="Selection">Mean macro-F1 over the selection folds for each candidate C, in the order tried.</param>
public sealed record BaselineResult(
    string ModelDirectory,
    MetricsReport Metrics,
    double C,
    int Features,
    int TrainingRows,
    IReadOnlyList<(double C, double MacroF1)> Selection,
    double Seconds);

/// <summary>
/// Fits the linear text baseline (TF-IDF + logistic regression) on the training split a fine-tuning
/// run uses and scores it on the same validation split, so the two numbers can be compared.
/// </summary>
public static class BaselineTrainer
{
    /// <summary>The baseline's sub-folder in a text model folder.</summary>
    public const string FolderName = "baseline";

    /// <summary>From this many training rows on, C is chosen on one held-out fold instead of all of them.</summary>
    public const int SliceAbove = 2000;

    /// <summary>
    /// Fits next to a fine-tuning request: same data, same split (the request's fixed split, else the
    /// stratified one of its seed and validation fraction, as <see cref="Trainer"/> makes it), written
    /// to OutputDirectory/baseline.
    /// </summary>
    public static BaselineResult Train(TrainingRequest request, BaselineOptions? options = null, Action<string>? log = null,
        CancellationToken cancellationToken = default) =>
        Train(request.DataPath, Path.Combine(request.OutputDirectory, FolderName), request.Split, request.Options.ValidationFraction,
            (options ?? new BaselineOptions()) with { Seed = request.Options.Seed }, request.Options.TextColumns, log, cancellationToken);

    /// <summary>Fits on a labelled CSV and writes the model folder and its metrics.json to <paramref name="outputDirectory"/>.</summary>
    public static BaselineResult Train(string dataPath, string outputDirectory, DataSplit? split = null, double validationFraction = 0.1,
        BaselineOptions? options = null, TextColumns? columns = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        options ??= new BaselineOptions();
        options.Validate();
        if (validationFraction is < 0 or >= 1 || double.IsNaN(validationFraction))
            throw new ArgumentException("validation fraction must be in [0, 1)");
        var clock = Stopwatch.StartNew();
        var examples = TextDataset.LoadCsv(dataPath, columns);
        var labels = LabelVocabulary.FromData(examples.Select(e => e.Label!));
        var labelIds = examples.Select(e => labels.GetId(e.Label!)).ToArray();
        // The same split the trainer makes from the same inputs (TrainingRun): a fixed one checked, else stratified.
        var fixedSplit = split?.CheckedAgainst(examples.Count) ?? DataSplit.Stratified(labelIds, validationFraction, options.Seed);
        if (fixedSplit.Train.Length == 0)
            throw new InvalidDataException("no training examples are left after the validation split");

        var trainTexts = fixedSplit.Train.Select(i => examples[i].Text).ToArray();
        var trainLabels = fixedSplit.Train.Select(i => labelIds[i]).ToArray();
        var (model, selection) = Fit(trainTexts, trainLabels, labels.Labels, options, log, cancellationToken);

        var evaluated = fixedSplit.Validation.Length > 0 ? fixedSplit.Validation : fixedSplit.Train;
        var rows = evaluated.Select(i => model.Featurizer.Transform(examples[i].Text)).ToArray();
        var metrics = ClassificationMetrics.FromLogits(evaluated.Select(i => labelIds[i]).ToArray(), model.Logits(rows), labels.Labels);
        var report = new MetricsReport(metrics, fixedSplit.Validation.Length > 0 ? "validation" : "train", []);
        model.Save(outputDirectory);
        MetricsFile.Write(Path.Combine(outputDirectory, MetricsFile.FileName), report);
        return new BaselineResult(outputDirectory, report, model.C, model.FeatureCount, trainTexts.Length, selection, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Fits on texts with label ids (into <paramref name="labels"/>). C is chosen by stratified k-fold
    /// cross-validation on these texts alone (mean macro-F1, the smaller C on a tie), then the model is
    /// refitted on all of them.
    /// </summary>
    public static (LinearTextClassifier Model, IReadOnlyList<(double C, double MacroF1)> Selection) Fit(
        IReadOnlyList<string> texts, IReadOnlyList<int> labelIds, IReadOnlyList<string> labels, BaselineOptions? options = null,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        options ??= new BaselineOptions();
        options.Validate();
        if (texts.Count != labelIds.Count)
            throw new ArgumentException($"{texts.Count} texts but {labelIds.Count} labels");
        if (texts.Count == 0)
            throw new InvalidDataException("the baseline needs at least one training text");
        if (labelIds.Any(id => (uint)id >= labels.Count))
            throw new ArgumentOutOfRangeException(nameof(labelIds), "a label id is out of range");

        var candidates = options.CandidateC.Order().ToArray();
        // Tokenized once: the selection folds and the final fit each build their own vocabulary from it.
        var analysis = TfidfFeaturizer.Analysis.Of(texts, FeaturizerSettings.From(options), cancellationToken);
        // Fewer than two texts per fold leaves nothing to learn from or score on: the middle candidate then.
        var selection = candidates.Length > 1 && texts.Count >= 2 * options.SelectionFolds
            ? Select(analysis, labelIds, labels.Count, candidates, options, cancellationToken)
            : [];
        var c = selection.Count > 0 ? Best(selection) : candidates[candidates.Length / 2];
        if (selection.Count > 0)
        {
            log?.Invoke(texts.Count < SliceAbove
                ? $"baseline: C = {c:G3} chosen by {options.SelectionFolds}-fold cross-validation on the training split"
                : $"baseline: C = {c:G3} chosen on a held-out 1/{options.SelectionFolds} of the training split");
        }

        var (featurizer, rows, _) = TfidfFeaturizer.Fit(analysis, Enumerable.Range(0, texts.Count).ToArray());
        var fit = SoftmaxRegression.Train(rows, labelIds, labels.Count, featurizer.FeatureCount, c, options.MaxIterations, options.Tolerance,
            cancellationToken: cancellationToken);
        var biasOffset = featurizer.FeatureCount * labels.Count;
        var weights = fit.Parameters.AsSpan(0, biasOffset).ToArray().Select(v => (float)v).ToArray();
        var biases = fit.Parameters.AsSpan(biasOffset).ToArray().Select(v => (float)v).ToArray();
        return (new LinearTextClassifier(labels, featurizer, weights, biases, c, texts.Count), selection);
    }

    private static List<(double C, double MacroF1)> Select(TfidfFeaturizer.Analysis analysis, IReadOnlyList<int> labelIds, int classes,
        double[] candidates, BaselineOptions options, CancellationToken cancellationToken)
    {
        var folds = Folds(labelIds, options.SelectionFolds, options.Seed);
        var scores = new double[candidates.Length];
        // Small data: every fold, since one slice's macro-F1 is noisy and the fits are cheap. Larger
        // data: the first fold alone, a slice big enough to rank a decade grid, at a third of the cost.
        var foldCount = analysis.Count < SliceAbove ? folds.Max() + 1 : 1;
        var labelNames = Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        for (var fold = 0; fold < foldCount; fold++)
        {
            var train = Enumerable.Range(0, analysis.Count).Where(i => folds[i] != fold).ToArray();
            var held = Enumerable.Range(0, analysis.Count).Where(i => folds[i] == fold).ToArray();
            // The fold's own vocabulary and idf: the held-out texts must not shape their own features.
            var (featurizer, trainRows, heldRows) = TfidfFeaturizer.Fit(analysis, train, held);
            var trainLabels = train.Select(i => labelIds[i]).ToArray();
            var truth = held.Select(i => labelIds[i]).ToArray();
            double[]? start = null;
            for (var k = 0; k < candidates.Length; k++)
            {
                // Warm start from the previous (more regularised) solution: the path costs a fraction of cold fits.
                var fit = SoftmaxRegression.Train(trainRows, trainLabels, classes, featurizer.FeatureCount, candidates[k],
                    options.MaxIterations, options.Tolerance, start, cancellationToken);
                start = fit.Parameters;
                var predicted = Predict(heldRows, fit.Parameters, featurizer.FeatureCount, classes);
                scores[k] += ClassificationMetrics.Compute(truth, predicted, labelNames).MacroF1 / foldCount;
            }
        }

        return candidates.Select((c, k) => (c, scores[k])).ToList();
    }

    // Scores within a rounding error are a tie, and the tie goes to the stronger regularisation.
    private static double Best(IReadOnlyList<(double C, double MacroF1)> selection)
    {
        var top = selection.Max(s => s.MacroF1);
        return selection.Where(s => s.MacroF1 >= top - 1e-9).Min(s => s.C);
    }

    /// <summary>Fold of each row: every label's rows shuffled by the seed and dealt round-robin, so each fold holds every label's share.</summary>
    private static int[] Folds(IReadOnlyList<int> labelIds, int folds, ulong seed)
    {
        var assignment = new int[labelIds.Count];
        var next = 0;
        foreach (var group in Enumerable.Range(0, labelIds.Count).GroupBy(i => labelIds[i]).OrderBy(g => g.Key))
        {
            var indices = group.ToArray();
            new SeededRandom(SeededRandom.Derive(seed, (ulong)group.Key)).Shuffle(indices.AsSpan());
            foreach (var index in indices)
                assignment[index] = next++ % folds;
        }

        return assignment;
    }

    private static int[] Predict(SparseRow[] rows, double[] parameters, int features, int classes)
    {
        var biasOffset = features * classes;
        var predicted = new int[rows.Length];
        Span<double> logits = stackalloc double[classes];
        for (var r = 0; r < rows.Length; r++)
        {
            for (var k = 0; k < classes; k++)
                logits[k] = parameters[biasOffset + k];
            var row = rows[r];
            for (var n = 0; n < row.Count; n++)
            {
                var offset = row.Indices[n] * classes;
                for (var k = 0; k < classes; k++)
                    logits[k] += parameters[offset + k] * row.Values[n];
            }

            var best = 0;
            for (var k = 1; k < classes; k++)
                best = logits[k] > logits[best] ? k : best;
            predicted[r] = best;
        }

        return predicted;
    }
}
