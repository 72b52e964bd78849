using Platform.Training.Data;
using Platform.Training.Distributed;
using Platform.Training.Metrics;
using Platform.Training.Torch;

namespace Platform.Training.Training;

/// <summary>Fine-tunes a BERT or trains a CNN classifier, with per-epoch validation, checkpoints and exact resume.</summary>
public static class Trainer
{
    /// <summary>
    /// Trains and writes the model folder and metrics.json to <see cref="TrainingRequest.OutputDirectory"/>.
    /// Resumes when the checkpoint directory holds a checkpoint. Cancellation is honoured between steps
    /// by throwing <see cref="OperationCanceledException"/>; the last checkpoint stays for a later resume.
    /// </summary>
    public static TrainingResult Train(TrainingRequest request, TrainingCallbacks? callbacks = null, CancellationToken cancellationToken = default)
    {
        callbacks ??= new TrainingCallbacks();
        var options = request.Options;
        options.Validate();
        request.Distributed?.Validate();
        Torch.Torch.NumThreads = options.Threads ?? TrainingOptions.ThreadsFor(1);
        var device = Device.Parse(options.Device);

        using var run = TrainingRun.Prepare(request, device, callbacks.Log);
        // Joined once the data and model are ready, so the rendezvous timeout does not have to cover
        // the slowest rank's data loading.
        using var group = request.Distributed is { } distributed ? ProcessGroup.Join(distributed) : null;
        return run.Execute(callbacks, cancellationToken, group);
    }

    /// <summary>Evaluates a model folder on labelled data (all of it).</summary>
    public static ClassificationMetrics Evaluate(ClassifierModel model, string dataPath, int batchSize = 32, int maxLength = 128, TextColumns? columns = null)
    {
        var labels = new LabelVocabulary(model.Labels);
        TrainingData data = model switch
        {
            BertClassifier bert => TextTrainingData.Create(bert, TextDataset.LoadCsv(dataPath, columns), labels, maxLength),
            CnnImageClassifier cnn => ImageTrainingData.Create(cnn, ImageDataset.Load(dataPath), labels, horizontalFlip: false),
            TabularClassifier tabular => TabularEvaluationData(tabular, dataPath, labels),
            _ => throw new ArgumentException("unknown model kind"),
        };
        return Evaluation.Run(model, data, Enumerable.Range(0, data.Count).ToArray(), batchSize).Metrics;
    }

    private static TabularTrainingData TabularEvaluationData(TabularClassifier model, string dataPath, LabelVocabulary labels)
    {
        var table = Tabular.TabularTable.Load(dataPath);
        var target = table.ColumnIndex(model.Preprocessor.Target);
        var ids = table.Rows.Select((row, i) => labels.TryGetId(row[target].Trim(), out var id)
            ? id
            : throw new InvalidDataException($"line {table.Lines[i]}: label '{row[target]}' is not one the model knows ({string.Join(", ", labels.Labels)})")).ToArray();
        return new TabularTrainingData(model, model.Preprocessor.TransformTable(table), ids);
    }
}

internal static class Evaluation
{
    /// <summary>The metrics, the mean loss and the logits (row-major [examples × classes]) of the examples <paramref name="indices"/> names.</summary>
    public static (ClassificationMetrics Metrics, double Loss, float[] Logits) Run(ClassifierModel model, TrainingData data, int[] indices, int batchSize)
    {
        model.Module.Eval();
        using var noGrad = Torch.Torch.NoGrad();
        var classes = model.Labels.Count;
        var allLogits = new float[indices.Length * classes];
        double lossSum = 0;
        for (var start = 0; start < indices.Length; start += batchSize)
        {
            using var scope = Torch.Torch.NewDisposeScope();
            var batch = indices[start..Math.Min(indices.Length, start + batchSize)];
            var logits = data.Logits(batch, augment: false, augmentSeed: 0);
            var targets = Tensor.FromSpan(batch.Select(i => (long)data.LabelIds[i]).ToArray(), [batch.Length], model.Device);
            var loss = Functional.CrossEntropy(logits, targets);
            lossSum += loss.Item() * batch.Length;
            logits.ToFloatArray().CopyTo(allLogits, start * classes);
        }

        model.Module.Train();
        var truth = indices.Select(i => data.LabelIds[i]).ToArray();
        var metrics = ClassificationMetrics.FromLogits(truth, allLogits, model.Labels);
        return (metrics, indices.Length == 0 ? 0 : lossSum / indices.Length, allLogits);
    }
}
