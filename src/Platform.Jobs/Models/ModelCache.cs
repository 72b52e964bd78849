using Microsoft.Extensions.Options;
using Platform.Training.Baseline;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Jobs.Models;

/// <summary>
/// Loaded models for the playground, bounded by count (least recently used unloaded first). A model
/// is used by one request at a time: its native module is not shared between threads, and an evicted
/// model is disposed only once its current prediction has finished.
/// </summary>
public sealed class ModelCache(IOptions<ModelCacheOptions> options) : IDisposable
{
    private readonly object _gate = new();
    private readonly LinkedList<Entry> _lru = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _byFolder = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_gate)
                return _byFolder.Count;
        }
    }

    public async Task<IReadOnlyList<Prediction>> PredictTextAsync(string folder, IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        await UseAsync(folder, model => model is BertClassifier bert
            ? bert.Predict(texts)
            : throw new InvalidOperationException("This model classifies images, not text."), cancellationToken);

    /// <summary>The linear baseline of a text model (its baseline/ folder): managed code, loaded once and kept like the models.</summary>
    public async Task<IReadOnlyList<Prediction>> PredictBaselineAsync(string folder, IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        await UseAsync(folder, LinearTextClassifier.Load, baseline => baseline.Predict(texts), cancellationToken);

    public async Task<IReadOnlyList<Prediction>> PredictImageAsync(string folder, string name, byte[] bytes, CancellationToken cancellationToken = default) =>
        await UseAsync(folder, model => model is CnnImageClassifier cnn
            ? cnn.Predict([(name, bytes)])
            : throw new InvalidOperationException("This model classifies text, not images."), cancellationToken);

    /// <summary>Rows of a table, each column → raw value (a form's fields, a JSON object, a CSV row).</summary>
    public async Task<IReadOnlyList<Prediction>> PredictTableAsync(string folder, IReadOnlyList<IReadOnlyDictionary<string, string?>> rows,
        CancellationToken cancellationToken = default) =>
        await UseAsync(folder, model => model is TabularClassifier table
            ? table.Predict(rows)
            : throw new InvalidOperationException("This model does not classify table rows."), cancellationToken);

    /// <summary>
    /// Runs an exported ONNX file in ONNX Runtime: the model folder's own code prepares the input
    /// (<paramref name="inputs"/>: decoded pixels, or a table's scaled features), the ONNX file computes the logits.
    /// </summary>
    public async Task<IReadOnlyList<Prediction>> PredictOnnxAsync(string folder, string onnxFile, Func<ClassifierModel, float[]> inputs, int rows,
        CancellationToken cancellationToken = default)
    {
        if (!File.Exists(onnxFile))
            throw new InvalidOperationException("This model has no ONNX export: text models and models trained before exports existed are served by the platform only.");
        var (values, labels, shape) = await UseAsync(folder, model => (inputs(model), model.Labels, Platform.Training.Onnx.ServingReport.RowShape(model)),
            cancellationToken);
        var logits = await UseAsync(onnxFile, path => new Platform.Training.Onnx.OnnxRunner(path, shape), runner => runner.Logits(values, rows),
            cancellationToken);
        return ClassifierModel.ToPredictions(logits, rows, labels);
    }

    /// <summary>A text model's ONNX export: the folder's tokenizer makes the batch, ONNX Runtime the logits.</summary>
    public async Task<IReadOnlyList<Prediction>> PredictTextOnnxAsync(string folder, string onnxFile, IReadOnlyList<string> texts,
        CancellationToken cancellationToken = default)
    {
        if (!File.Exists(onnxFile))
            throw new InvalidOperationException("This model has no ONNX export: models trained before exports existed are served by the platform only.");
        var (batch, labels) = await UseAsync(folder, model => model is BertClassifier bert
            ? (bert.Tokenizer.BuildBatch(texts.Select(bert.Tokenizer.TokenizeToIds).ToList(), bert.EffectiveMaxLength(128),
                Platform.Training.Tokenization.PaddingStrategy.Longest), bert.Labels)
            : throw new InvalidOperationException("This model classifies images, not text."), cancellationToken);
        var logits = await UseAsync(onnxFile, path => new Platform.Training.Onnx.OnnxRunner(path, []), runner => runner.TextLogits(batch),
            cancellationToken);
        return ClassifierModel.ToPredictions(logits, texts.Count, labels);
    }

    private Task<T> UseAsync<T>(string folder, Func<ClassifierModel, T> use, CancellationToken cancellationToken) =>
        UseAsync(folder, path => ClassifierModel.Load(path, Device.Cpu), use, cancellationToken);

    private async Task<T> UseAsync<TModel, T>(string folder, Func<string, TModel> load, Func<TModel, T> use, CancellationToken cancellationToken)
        where TModel : class
    {
        var entry = Acquire(Path.GetFullPath(folder));
        await entry.Lock.WaitAsync(cancellationToken);
        try
        {
            // Loading and inference are CPU-bound native calls: keep them off the request's thread.
            return await Task.Run(() =>
            {
                entry.Model ??= load(entry.Folder);
                return use((TModel)entry.Model);
            }, cancellationToken);
        }
        finally
        {
            entry.Lock.Release();
            Release(entry);
        }
    }

    private Entry Acquire(string folder)
    {
        lock (_gate)
        {
            if (_byFolder.TryGetValue(folder, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
            }
            else
            {
                node = _lru.AddFirst(new Entry(folder));
                _byFolder[folder] = node;
                while (_byFolder.Count > options.Value.Capacity)
                {
                    var oldest = _lru.Last!;
                    _lru.RemoveLast();
                    _byFolder.Remove(oldest.Value.Folder);
                    oldest.Value.Evicted = true;
                    DisposeIfIdle(oldest.Value);
                }
            }
            node.Value.Users++;
            return node.Value;
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Users--;
            DisposeIfIdle(entry);
        }
    }

    private static void DisposeIfIdle(Entry entry)
    {
        if (entry is { Evicted: true, Users: 0 })
        {
            (entry.Model as IDisposable)?.Dispose();
            entry.Model = null;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var entry in _lru)
                (entry.Model as IDisposable)?.Dispose();
            _lru.Clear();
            _byFolder.Clear();
        }
    }

    private sealed class Entry(string folder)
    {
        public string Folder { get; } = folder;
        public SemaphoreSlim Lock { get; } = new(1, 1);
        /// <summary>A <see cref="ClassifierModel"/> (native, disposed on eviction), an ONNX Runtime session or a <see cref="LinearTextClassifier"/>.</summary>
        public object? Model { get; set; }
        public int Users { get; set; }
        public bool Evicted { get; set; }
    }
}
