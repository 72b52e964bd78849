using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Training.Onnx;

/// <summary>One way of serving a model: its file, size, score on the validation split and latency of one prediction.</summary>
/// <param name="Variant">"platform" (the model folder on libtorch), "onnx" (float ONNX Runtime) or "int8" (dynamically quantised ONNX).</param>
/// <param name="LatencyMs">Median wall time of one single-example prediction, one thread, measured right after training on the worker.</param>
public sealed record ServingVariant(
    [property: JsonPropertyName("variant")] string Variant,
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("macro_f1")] double MacroF1,
    [property: JsonPropertyName("macro_roc_auc")] double? MacroRocAuc,
    [property: JsonPropertyName("latency_ms")] double LatencyMs);

/// <summary>serving.json of a model folder: the serving options side by side, measured on the same split and machine.</summary>
public sealed record ServingReport(
    [property: JsonPropertyName("split")] string Split,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("machine")] string Machine,
    [property: JsonPropertyName("variants")] IReadOnlyList<ServingVariant> Variants)
{
    public const string FileName = "serving.json";
    private const int LatencyRuns = 30;
    private const int WarmUpRuns = 5;
    private const int EvaluationBatch = 256;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public ServingVariant? Find(string variant) => Variants.FirstOrDefault(v => v.Variant == variant);

    public static ServingReport? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        return System.IO.File.Exists(path) ? Parse(System.IO.File.ReadAllText(path)) : null;
    }

    /// <summary>A serving.json's text; null when it is not one (the model page then shows no serving card).</summary>
    public static ServingReport? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<ServingReport>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Exports model.onnx and model.int8.onnx next to the model, scores both in ONNX Runtime on the
    /// evaluated rows and times one prediction of each way, and writes serving.json.
    /// </summary>
    internal static ServingReport Write(ClassifierModel model, TrainingData data, int[] evaluated, string split, ClassificationMetrics platform,
        string directory)
    {
        var (fullPath, int8Path) = OnnxExport.Save(model, directory);
        var text = data as TextTrainingData;
        var rowShape = text is null ? RowShape(model) : [];
        var truth = evaluated.Select(i => data.LabelIds[i]).ToArray();
        // Dense inputs once (images, tables); a text batch is tokenised per call.
        var rows = text is null ? data.Inputs(evaluated) ?? throw new InvalidOperationException("this model's data has no dense inputs") : [];
        var rowSize = text is null ? rows.Length / Math.Max(1, evaluated.Length) : 0;
        float[] OnnxLogits(OnnxRunner runner, int start, int count) => text is null
            ? runner.Logits(rows.AsSpan(start * rowSize, count * rowSize).ToArray(), count)
            : runner.TextLogits(text.Batch(evaluated[start..(start + count)]));
        var first = evaluated.Length > 0 ? evaluated[..1] : throw new InvalidOperationException("nothing to evaluate");

        var previousThreads = Torch.Torch.NumThreads;
        Torch.Torch.NumThreads = 1;
        try
        {
            var platformLatency = Median(() =>
            {
                using var noGrad = Torch.Torch.NoGrad();
                using var logits = data.Logits(first, augment: false, augmentSeed: 0);
            });
            var variants = new List<ServingVariant>
            {
                new("platform", ClassifierModel.WeightsFile, new FileInfo(Path.Combine(directory, ClassifierModel.WeightsFile)).Length,
                    platform.Accuracy, platform.MacroF1, platform.MacroRocAuc, platformLatency),
            };
            foreach (var (variant, path) in new[] { ("onnx", fullPath), ("int8", int8Path) })
            {
                using var runner = new OnnxRunner(path, rowShape);
                var logits = new float[evaluated.Length * model.Labels.Count];
                var batchSize = text is null ? EvaluationBatch : 32;
                for (var start = 0; start < evaluated.Length; start += batchSize)
                {
                    var count = Math.Min(batchSize, evaluated.Length - start);
                    OnnxLogits(runner, start, count).CopyTo(logits, start * model.Labels.Count);
                }

                var metrics = ClassificationMetrics.FromLogits(truth, logits, model.Labels);
                var latency = Median(() => OnnxLogits(runner, 0, 1));
                variants.Add(new ServingVariant(variant, Path.GetFileName(path), new FileInfo(path).Length, metrics.Accuracy, metrics.MacroF1,
                    metrics.MacroRocAuc, latency));
            }

            var report = new ServingReport(split, evaluated.Length, 1, $"{Environment.ProcessorCount} cores, {Environment.OSVersion}", variants);
            var target = Path.Combine(directory, FileName);
            System.IO.File.WriteAllText(target + ".tmp", JsonSerializer.Serialize(report, Json));
            System.IO.File.Move(target + ".tmp", target, overwrite: true);
            return report;
        }
        finally
        {
            Torch.Torch.NumThreads = previousThreads;
        }
    }

    /// <summary>One input's dimensions after the batch, as the ONNX graph declares them.</summary>
    public static long[] RowShape(ClassifierModel model) => model switch
    {
        TabularClassifier table => [table.Preprocessor.Width],
        CnnImageClassifier image => [image.Config.InChannels, image.Config.ImageHeight, image.Config.ImageWidth],
        _ => [],
    };

    private static double Median(Action run)
    {
        for (var i = 0; i < WarmUpRuns; i++)
            run();
        var times = new double[LatencyRuns];
        for (var i = 0; i < LatencyRuns; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(times);
        return Math.Round(times[LatencyRuns / 2], 4);
    }
}
