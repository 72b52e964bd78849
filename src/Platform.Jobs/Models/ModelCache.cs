using Microsoft.Extensions.Options;
using Platform.Data.Artifacts;
using Platform.Training.Baseline;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Jobs.Models;

/// <summary>
/// Where a model's files are: a folder on this host (models from before the artifact store held them, the
/// CLI's), or a folder in the store (<see cref="StoredFolders"/>), optionally one of its sub-folders (the baseline).
/// </summary>
public sealed record ModelLocation(string? LocalFolder, Guid TenantId = default, string? StoredFolder = null, string? SubFolder = null)
{
    public static ModelLocation Local(string folder) => new(Path.GetFullPath(folder));

    public static ModelLocation Stored(Guid tenantId, string folder, string? subFolder = null) => new(null, tenantId, folder, subFolder);

    internal string Key => LocalFolder ?? $"{TenantId:N}:{StoredFolder}:{SubFolder}";
}

/// <summary>
/// Loaded models for the playground, bounded by count (least recently used unloaded first). A model
/// is used by one request at a time: its native module is not shared between threads, and an evicted
/// model is disposed only once its current prediction has finished. A stored model is decrypted into a
/// folder of its own under the temp directory only while it loads, and that folder is deleted at once:
/// no plaintext copy of a tenant's model stays on the web host's disk.
/// </summary>
public sealed class ModelCache(IOptions<ModelCacheOptions> options, StoredFolders? storedFolders = null) : IDisposable
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

    public Task<IReadOnlyList<Prediction>> PredictTextAsync(string folder, IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        PredictTextAsync(ModelLocation.Local(folder), texts, cancellationToken);

    public Task<IReadOnlyList<Prediction>> PredictBaselineAsync(string folder, IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        PredictBaselineAsync(ModelLocation.Local(folder), texts, cancellationToken);

    public Task<IReadOnlyList<Prediction>> PredictImageAsync(string folder, string name, byte[] bytes, CancellationToken cancellationToken = default) =>
        PredictImageAsync(ModelLocation.Local(folder), name, bytes, cancellationToken);

    public async Task<IReadOnlyList<Prediction>> PredictTextAsync(ModelLocation model, IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        await UseAsync(model, model => model is BertClassifier bert
            ? bert.Predict(texts)
            : throw new InvalidOperationException("This model classifies images, not text."), cancellationToken);

    /// <summary>The linear baseline of a text model (its baseline/ folder): managed code, loaded once and kept like the models.</summary>
    public async Task<IReadOnlyList<Prediction>> PredictBaselineAsync(ModelLocation model, IReadOnlyList<string> texts, CancellationToken cancellationToken = default) =>
        await UseAsync(model, LinearTextClassifier.Load, baseline => baseline.Predict(texts), cancellationToken);

    public async Task<IReadOnlyList<Prediction>> PredictImageAsync(ModelLocation model, string name, byte[] bytes, CancellationToken cancellationToken = default) =>
        await UseAsync(model, model => model is CnnImageClassifier cnn
            ? cnn.Predict([(name, bytes)])
            : throw new InvalidOperationException("This model classifies text, not images."), cancellationToken);

    /// <summary>Rows of a table, each column → raw value (a form's fields, a JSON object, a CSV row).</summary>
    public async Task<IReadOnlyList<Prediction>> PredictTableAsync(ModelLocation model, IReadOnlyList<IReadOnlyDictionary<string, string?>> rows,
        CancellationToken cancellationToken = default) =>
        await UseAsync(model, loaded => loaded is TabularClassifier table
            ? table.Predict(rows)
            : throw new InvalidOperationException("This model does not classify table rows."), cancellationToken);

    /// <summary>
    /// Runs an exported ONNX file (<paramref name="onnxFile"/>, a file name in the model's folder) in ONNX Runtime:
    /// the model folder's own code prepares the input (<paramref name="inputs"/>: decoded pixels, or a table's
    /// scaled features), the ONNX file computes the logits.
    /// </summary>
    public async Task<IReadOnlyList<Prediction>> PredictOnnxAsync(ModelLocation model, string onnxFile, Func<ClassifierModel, float[]> inputs, int rows,
        CancellationToken cancellationToken = default)
    {
        var (values, labels, shape) = await UseAsync(model, loaded => (inputs(loaded), loaded.Labels, Platform.Training.Onnx.ServingReport.RowShape(loaded)),
            cancellationToken);
        var logits = await UseAsync(model, folder => new Platform.Training.Onnx.OnnxRunner(OnnxPath(folder, onnxFile), shape),
            runner => runner.Logits(values, rows), cancellationToken, onnxFile);
        return ClassifierModel.ToPredictions(logits, rows, labels);
    }

    /// <summary>A text model's ONNX export: the folder's tokenizer makes the batch, ONNX Runtime the logits.</summary>
    public async Task<IReadOnlyList<Prediction>> PredictTextOnnxAsync(ModelLocation model, string onnxFile, IReadOnlyList<string> texts,
        CancellationToken cancellationToken = default)
    {
        var (batch, labels) = await UseAsync(model, loaded => loaded is BertClassifier bert
            ? (bert.Tokenizer.BuildBatch(texts.Select(bert.Tokenizer.TokenizeToIds).ToList(), bert.EffectiveMaxLength(128),
                Platform.Training.Tokenization.PaddingStrategy.Longest), bert.Labels)
            : throw new InvalidOperationException("This model classifies images, not text."), cancellationToken);
        var logits = await UseAsync(model, folder => new Platform.Training.Onnx.OnnxRunner(OnnxPath(folder, onnxFile), []),
            runner => runner.TextLogits(batch), cancellationToken, onnxFile);
        return ClassifierModel.ToPredictions(logits, texts.Count, labels);
    }

    private static string OnnxPath(string folder, string onnxFile)
    {
        var path = Path.Combine(folder, onnxFile);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException("This model has no ONNX export: models trained before exports existed are served by the platform only.");
    }

    private Task<T> UseAsync<T>(ModelLocation model, Func<ClassifierModel, T> use, CancellationToken cancellationToken) =>
        UseAsync(model, path => ClassifierModel.Load(path, Device.Cpu), use, cancellationToken);

    /// <param name="file">A file of the folder loaded on its own (an ONNX export): cached apart from the folder's model.</param>
    private async Task<T> UseAsync<TModel, T>(ModelLocation model, Func<string, TModel> load, Func<TModel, T> use, CancellationToken cancellationToken,
        string? file = null)
        where TModel : class
    {
        var entry = Acquire(file is null ? model.Key : $"{model.Key}#{file}");
        await entry.Lock.WaitAsync(cancellationToken);
        try
        {
            entry.Model ??= await LoadAsync(model, load, cancellationToken);
            // Inference is a CPU-bound native call: keep it off the request's thread.
            return await Task.Run(() => use((TModel)entry.Model), cancellationToken);
        }
        finally
        {
            entry.Lock.Release();
            Release(entry);
        }
    }

    private async Task<TModel> LoadAsync<TModel>(ModelLocation model, Func<string, TModel> load, CancellationToken cancellationToken)
    {
        if (model.LocalFolder is { } local)
            return await Task.Run(() => load(local), cancellationToken);
        if (storedFolders is null || model.StoredFolder is null)
            throw new InvalidOperationException("This host has no artifact store to load the model from.");
        var scratch = Path.Combine(Path.GetTempPath(), $"platform-model-{Guid.NewGuid():N}");
        try
        {
            if (!await storedFolders.DownloadAsync(model.TenantId, model.StoredFolder, scratch, model.SubFolder, cancellationToken))
                throw new DirectoryNotFoundException($"The model's folder {model.StoredFolder} is not in the artifact store.");
            // The loaded model holds what it needs in memory: the decrypted files go as soon as it is loaded.
            return await Task.Run(() => load(scratch), cancellationToken);
        }
        finally
        {
            if (Directory.Exists(scratch))
                Directory.Delete(scratch, recursive: true);
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
