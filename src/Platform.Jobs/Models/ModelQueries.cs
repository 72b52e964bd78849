using System.IO.Compression;
using System.Text.Json;
using Platform.Domain.Common;
using Platform.Data.Artifacts;
using Platform.Jobs.Portal;
using Platform.Jobs.Training;
using Platform.Training.Baseline;
using Platform.Training.Metrics;
using Platform.Training.Models.Text;
using Platform.Training.Training;
using Platform.Domain.Jobs;

namespace Platform.Jobs.Models;

/// <summary>
/// Which of a job's models to use: the trained one, the linear baseline a text job fits next to it, or
/// (image and tabular models) its ONNX export in ONNX Runtime, float or int8 dynamically quantised.
/// </summary>
public enum ModelVariant
{
    Model,
    Baseline,
    Onnx,
    Int8,
}

/// <summary>
/// A trained model with its evaluation: for text, the linear baseline in its baseline/ sub-folder with its
/// own evaluation on the same split; and the job's result (scores, baseline summary and the stored verdict
/// on them). <see cref="Folder"/> is the stored folder's name (<see cref="StoredFolders"/>, with
/// <see cref="TenantId"/>), or for a model written before the store held models, a local folder.
/// </summary>
public sealed record ModelView(Guid JobId, string Name, string Kind, string Folder, MetricsReport Metrics,
    MetricsReport? Baseline = null, JobResult? Result = null, Guid TenantId = default, bool Stored = false, string? ModelType = null)
{
    /// <summary>For a tabular model: its columns and how they are scaled/encoded (the playground's form); null otherwise.</summary>
    public Platform.Training.Tabular.TabularPreprocessor? Table { get; init; }

    /// <summary>The ONNX and int8 exports with their validation scores, sizes and latency (serving.json); null for text models.</summary>
    public Platform.Training.Onnx.ServingReport? Serving { get; init; }

    /// <summary>The folder holds the ONNX exports serving.json describes.</summary>
    public bool HasOnnx { get; init; }

    /// <summary>The file name, in the model's folder, a variant downloads as or runs from.</summary>
    public static string VariantFile(ModelVariant variant) => variant == ModelVariant.Int8
        ? Platform.Training.Onnx.OnnxExport.Int8FileName
        : Platform.Training.Onnx.OnnxExport.FileName;

    public string BaselineFolder => Path.Combine(Folder, BaselineTrainer.FolderName);

    public bool HasBaseline => Baseline is not null;

    /// <summary>The stored verdict: at chance or below the baseline. Pages show it; they never recompute it.</summary>
    public ResultAssessment? Assessment => Result?.Assessment;

    public ModelLocation Location => Stored ? ModelLocation.Stored(TenantId, Folder) : ModelLocation.Local(Folder);

    public ModelLocation BaselineLocation => Stored ? ModelLocation.Stored(TenantId, Folder, BaselineTrainer.FolderName) : ModelLocation.Local(BaselineFolder);

    /// <summary>Parses "model" or "baseline" (case-insensitive); null or empty is the model.</summary>
    public static bool TryParseVariant(string? value, out ModelVariant variant)
    {
        variant = ModelVariant.Model;
        if (string.IsNullOrWhiteSpace(value))
            return true;
        return Enum.TryParse(value.Trim(), ignoreCase: true, out variant) && Enum.IsDefined(variant);
    }
}

/// <summary>
/// The current tenant's trained models. A model is the output of a succeeded training job; the job
/// query does the tenant check, so a model of another tenant is simply not found.
/// </summary>
public sealed class ModelQueries(JobQueries jobs, ModelCache cache, StoredFolders folders, ICurrentTenant current)
{
    public async Task<ModelView?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is not { Status: JobState.Succeeded, ResultJson: { } result } || current.TenantId is not { } tenantId)
            return null;
        var stored = JobResult.Parse(result);
        if (stored?.ModelFolder is { } name && name.StartsWith(JobFolders.Job(jobId), StringComparison.Ordinal))
            return await GetStoredAsync(job, tenantId, name, result, cancellationToken);
        if (stored?.ModelDirectory is not { } folder || !File.Exists(Path.Combine(folder, MetricsFile.FileName)))
        {
            return null;
        }
        var kind = ClassifierModel.DetectKind(folder) switch
        {
            ModelKind.Bert => "bert",
            ModelKind.Tabular => "tabular",
            _ => "cnn",
        };
        var baselineMetrics = Path.Combine(folder, BaselineTrainer.FolderName, MetricsFile.FileName);
        string? modelType = null;
        try
        {
            using var config = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, ClassifierModel.ConfigFile)));
            modelType = config.RootElement.TryGetProperty("model_type", out var type) ? type.GetString() : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
        }
        return new ModelView(job.Id, job.Name, kind, folder, MetricsFile.Read(Path.Combine(folder, MetricsFile.FileName)),
            File.Exists(baselineMetrics) ? MetricsFile.Read(baselineMetrics) : null, JobResult.Parse(result), ModelType: modelType)
        {
            Table = kind == "tabular" ? Platform.Training.Tabular.TabularPreprocessor.Load(folder) : null,
            Serving = Platform.Training.Onnx.ServingReport.Read(folder),
            HasOnnx = File.Exists(Path.Combine(folder, Platform.Training.Onnx.OnnxExport.FileName)),
        };
    }

    private async Task<ModelView?> GetStoredAsync(JobView job, Guid tenantId, string name, string result, CancellationToken cancellationToken)
    {
        var files = await folders.ListAsync(tenantId, name, cancellationToken);
        if (!files.Any(f => f.Path == MetricsFile.FileName) || !files.Any(f => f.Path == ClassifierModel.ConfigFile))
            return null;
        var metrics = MetricsFile.Parse(await ReadTextAsync(tenantId, name, MetricsFile.FileName, cancellationToken), $"{name}/{MetricsFile.FileName}");
        var baselinePath = $"{BaselineTrainer.FolderName}/{MetricsFile.FileName}";
        var baseline = files.Any(f => f.Path == baselinePath)
            ? MetricsFile.Parse(await ReadTextAsync(tenantId, name, baselinePath, cancellationToken), $"{name}/{baselinePath}")
            : null;
        string? modelType;
        try
        {
            using var config = JsonDocument.Parse(await ReadTextAsync(tenantId, name, ClassifierModel.ConfigFile, cancellationToken));
            modelType = config.RootElement.TryGetProperty("model_type", out var type) ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
        var kind = TextModels.IsTextModelType(modelType) ? "bert" : modelType == TabularClassifier.ModelType ? "tabular" : "cnn";
        var preprocessing = Platform.Training.Tabular.TabularPreprocessor.FileName;
        var serving = Platform.Training.Onnx.ServingReport.FileName;
        return new ModelView(job.Id, job.Name, kind, name, metrics, baseline, JobResult.Parse(result), tenantId, Stored: true, modelType)
        {
            Table = kind == "tabular" && files.Any(f => f.Path == preprocessing)
                ? Platform.Training.Tabular.TabularPreprocessor.Parse(await ReadTextAsync(tenantId, name, preprocessing, cancellationToken), $"{name}/{preprocessing}")
                : null,
            Serving = files.Any(f => f.Path == serving)
                ? Platform.Training.Onnx.ServingReport.Parse(await ReadTextAsync(tenantId, name, serving, cancellationToken))
                : null,
            HasOnnx = files.Any(f => f.Path == Platform.Training.Onnx.OnnxExport.FileName),
        };
    }

    private async Task<string> ReadTextAsync(Guid tenantId, string folder, string path, CancellationToken cancellationToken)
    {
        await using var stream = await folders.OpenReadAsync(tenantId, folder, path, cancellationToken);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    /// <summary>
    /// The final evaluation's prediction and scores per example (validation_predictions.json, stored with
    /// the model, encrypted); null for a model trained before they were kept.
    /// </summary>
    public async Task<ValidationPredictions?> GetValidationPredictionsAsync(ModelView model, CancellationToken cancellationToken = default)
    {
        if (!model.Stored)
        {
            var path = Path.Combine(model.Folder, ValidationPredictions.FileName);
            return File.Exists(path) ? ValidationPredictions.Parse(await File.ReadAllTextAsync(path, cancellationToken), path) : null;
        }
        var files = await folders.ListAsync(model.TenantId, model.Folder, cancellationToken);
        return files.Any(f => f.Path == ValidationPredictions.FileName)
            ? ValidationPredictions.Parse(await ReadTextAsync(model.TenantId, model.Folder, ValidationPredictions.FileName, cancellationToken),
                $"{model.Folder}/{ValidationPredictions.FileName}")
            : null;
    }

    /// <summary>Classifies with the model or its baseline; null when the job has no such model (or it reads images).</summary>
    public async Task<IReadOnlyList<Prediction>?> PredictTextAsync(Guid jobId, string text, ModelVariant variant = ModelVariant.Model,
        CancellationToken cancellationToken = default)
    {
        var model = await GetAsync(jobId, cancellationToken);
        return model switch
        {
            { Kind: "bert" } when variant == ModelVariant.Model => await cache.PredictTextAsync(model.Location, [text], cancellationToken),
            { Kind: "bert", HasOnnx: true } when variant is ModelVariant.Onnx or ModelVariant.Int8 =>
                await cache.PredictTextOnnxAsync(model.Location, ModelView.VariantFile(variant), [text], cancellationToken),
            { HasBaseline: true } when variant == ModelVariant.Baseline => await cache.PredictBaselineAsync(model.BaselineLocation, [text], cancellationToken),
            _ => null,
        };
    }

    /// <summary>Classifies several texts in one pass with the model, its ONNX export or its baseline; null when the model reads no text.</summary>
    public async Task<IReadOnlyList<Prediction>?> PredictTextsAsync(ModelView model, IReadOnlyList<string> texts, ModelVariant variant = ModelVariant.Model,
        CancellationToken cancellationToken = default) => model switch
    {
        { Kind: "bert" } when variant == ModelVariant.Model => await cache.PredictTextAsync(model.Location, texts, cancellationToken),
        { Kind: "bert", HasOnnx: true } when variant is ModelVariant.Onnx or ModelVariant.Int8 =>
            await cache.PredictTextOnnxAsync(model.Location, ModelView.VariantFile(variant), texts, cancellationToken),
        { HasBaseline: true } when variant == ModelVariant.Baseline => await cache.PredictBaselineAsync(model.BaselineLocation, texts, cancellationToken),
        _ => null,
    };

    /// <summary>Classifies table rows (column → value); null when the job has no tabular model.</summary>
    public async Task<IReadOnlyList<Prediction>?> PredictTableAsync(Guid jobId, IReadOnlyList<IReadOnlyDictionary<string, string?>> rows,
        ModelVariant variant = ModelVariant.Model, CancellationToken cancellationToken = default) =>
        await GetAsync(jobId, cancellationToken) is { Kind: "tabular" } model
            ? variant is ModelVariant.Onnx or ModelVariant.Int8
                ? await cache.PredictOnnxAsync(model.Location, ModelView.VariantFile(variant),
                    m => ((TabularClassifier)m).Features(rows), rows.Count, cancellationToken)
                : await cache.PredictTableAsync(model.Location, rows, cancellationToken)
            : null;

    public async Task<IReadOnlyList<Prediction>?> PredictImageAsync(Guid jobId, string name, byte[] image, ModelVariant variant = ModelVariant.Model,
        CancellationToken cancellationToken = default) =>
        await GetAsync(jobId, cancellationToken) is { Kind: "cnn" } model
            ? variant is ModelVariant.Onnx or ModelVariant.Int8
                ? await cache.PredictOnnxAsync(model.Location, ModelView.VariantFile(variant), m =>
                {
                    var cnn = (CnnImageClassifier)m;
                    var pixels = new float[cnn.ImageSize];
                    cnn.Preprocess(image, name, pixels);
                    return pixels;
                }, 1, cancellationToken)
                : await cache.PredictImageAsync(model.Location, name, image, cancellationToken)
            : null;

    /// <summary>
    /// Writes the model folder as a ZIP (the Hugging Face layout for BERT, with the baseline in its
    /// baseline/ folder) to <paramref name="output"/>; the baseline variant is the baseline folder alone.
    /// A stored model streams from the store, decrypted on the way: nothing is written to this host's disk.
    /// </summary>
    public async Task WriteZipAsync(ModelView model, Stream output, ModelVariant variant = ModelVariant.Model,
        CancellationToken cancellationToken = default)
    {
        if (!model.Stored)
        {
            await WriteLocalZipAsync(model, output, variant, cancellationToken);
            return;
        }
        await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        var baselinePrefix = BaselineTrainer.FolderName + "/";
        foreach (var file in await folders.ListAsync(model.TenantId, model.Folder, cancellationToken))
        {
            // Only the files of the model folder and of its baseline folder, as the local layout gives them;
            // an ONNX variant is its file with what reads its input and output.
            var inBaseline = file.Path.StartsWith(baselinePrefix, StringComparison.Ordinal) && !file.Path[baselinePrefix.Length..].Contains('/');
            var entryName = variant switch
            {
                ModelVariant.Baseline => inBaseline ? file.Path[baselinePrefix.Length..] : null,
                ModelVariant.Onnx or ModelVariant.Int8 => OnnxDownloadFiles(variant).Contains(file.Path) ? file.Path : null,
                _ => !file.Path.Contains('/') || inBaseline ? file.Path : null,
            };
            // The validation examples are the tenant's data about the model, not part of it.
            if (entryName is null || entryName == ValidationPredictions.FileName)
                continue;
            var entry = zip.CreateEntry(entryName, CompressionLevel.Fastest);
            await using var target = await entry.OpenAsync(cancellationToken);
            await using var source = await folders.OpenReadAsync(model.TenantId, model.Folder, file.Path, cancellationToken);
            await source.CopyToAsync(target, cancellationToken);
        }
    }

    private static async Task WriteLocalZipAsync(ModelView model, Stream output, ModelVariant variant, CancellationToken cancellationToken)
    {
        await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        if (variant is ModelVariant.Onnx or ModelVariant.Int8)
        {
            foreach (var file in OnnxDownloadFiles(variant).Select(name => Path.Combine(model.Folder, name)).Where(File.Exists))
            {
                var entry = zip.CreateEntry(Path.GetFileName(file), CompressionLevel.Fastest);
                await using var target = await entry.OpenAsync(cancellationToken);
                await using var source = File.OpenRead(file);
                await source.CopyToAsync(target, cancellationToken);
            }

            return;
        }

        var root = variant == ModelVariant.Baseline ? model.BaselineFolder : model.Folder;
        await AddFilesAsync(zip, root, "", cancellationToken);
        if (variant == ModelVariant.Model && model.HasBaseline)
            await AddFilesAsync(zip, model.BaselineFolder, BaselineTrainer.FolderName + "/", cancellationToken);
    }

    // The ONNX file with what reads its input and output: labels (config.json) and, for a table, the preprocessing.
    private static string[] OnnxDownloadFiles(ModelVariant variant) =>
        [ModelView.VariantFile(variant), ClassifierModel.ConfigFile, Platform.Training.Tabular.TabularPreprocessor.FileName,
            Platform.Training.Onnx.ServingReport.FileName];

    // Only the files of one folder: checkpoints and anything else below it stay out of the download.
    private static async Task AddFilesAsync(ZipArchive zip, string folder, string prefix, CancellationToken cancellationToken)
    {
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal)
                     .Where(f => Path.GetFileName(f) != ValidationPredictions.FileName))
        {
            var entry = zip.CreateEntry(prefix + Path.GetFileName(file), CompressionLevel.Fastest);
            await using var target = await entry.OpenAsync(cancellationToken);
            await using var source = File.OpenRead(file);
            await source.CopyToAsync(target, cancellationToken);
        }
    }
}
