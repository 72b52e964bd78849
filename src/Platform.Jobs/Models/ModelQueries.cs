using System.IO.Compression;
using System.Text.Json;
using Platform.Jobs.Portal;
using Platform.Jobs.Training;
using Platform.Training.Baseline;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Jobs.Models;

/// <summary>Which of a job's models to use: the fine-tuned one, or the linear baseline a text job fits next to it.</summary>
public enum ModelVariant
{
    Model,
    Baseline,
}

/// <summary>
/// A trained model: the folder a succeeded job wrote, with its evaluation; for text, the linear
/// baseline in its baseline/ sub-folder with its own evaluation on the same split; and the job's
/// result (scores, baseline summary and the stored verdict on them).
/// </summary>
public sealed record ModelView(Guid JobId, string Name, string Kind, string Folder, MetricsReport Metrics,
    MetricsReport? Baseline = null, JobResult? Result = null)
{
    public string BaselineFolder => Path.Combine(Folder, BaselineTrainer.FolderName);

    public bool HasBaseline => Baseline is not null;

    /// <summary>The stored verdict: at chance or below the baseline. Pages show it; they never recompute it.</summary>
    public ResultAssessment? Assessment => Result?.Assessment;

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
public sealed class ModelQueries(JobQueries jobs, ModelCache cache)
{
    public async Task<ModelView?> GetAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is not { State: "Succeeded", ResultJson: { } result })
            return null;
        using var document = JsonDocument.Parse(result);
        if (!document.RootElement.TryGetProperty("modelDirectory", out var directory) || directory.GetString() is not { } folder
            || !File.Exists(Path.Combine(folder, MetricsFile.FileName)))
        {
            return null;
        }
        var kind = ClassifierModel.DetectKind(folder) == ModelKind.Bert ? "bert" : "cnn";
        var baselineMetrics = Path.Combine(folder, BaselineTrainer.FolderName, MetricsFile.FileName);
        return new ModelView(job.Id, job.Name, kind, folder, MetricsFile.Read(Path.Combine(folder, MetricsFile.FileName)),
            File.Exists(baselineMetrics) ? MetricsFile.Read(baselineMetrics) : null, JobResult.Parse(result));
    }

    /// <summary>Classifies with the model or its baseline; null when the job has no such model (or it reads images).</summary>
    public async Task<IReadOnlyList<Prediction>?> PredictTextAsync(Guid jobId, string text, ModelVariant variant = ModelVariant.Model,
        CancellationToken cancellationToken = default)
    {
        var model = await GetAsync(jobId, cancellationToken);
        return model switch
        {
            { Kind: "bert" } when variant == ModelVariant.Model => await cache.PredictTextAsync(model.Folder, [text], cancellationToken),
            { HasBaseline: true } when variant == ModelVariant.Baseline => await cache.PredictBaselineAsync(model.BaselineFolder, [text], cancellationToken),
            _ => null,
        };
    }

    /// <summary>Classifies several texts in one pass with the model or its baseline; null when the model reads images.</summary>
    public async Task<IReadOnlyList<Prediction>?> PredictTextsAsync(ModelView model, IReadOnlyList<string> texts, ModelVariant variant = ModelVariant.Model,
        CancellationToken cancellationToken = default) => model switch
    {
        { Kind: "bert" } when variant == ModelVariant.Model => await cache.PredictTextAsync(model.Folder, texts, cancellationToken),
        { HasBaseline: true } when variant == ModelVariant.Baseline => await cache.PredictBaselineAsync(model.BaselineFolder, texts, cancellationToken),
        _ => null,
    };

    public async Task<IReadOnlyList<Prediction>?> PredictImageAsync(Guid jobId, string name, byte[] image, CancellationToken cancellationToken = default) =>
        await GetAsync(jobId, cancellationToken) is { Kind: "cnn" } model
            ? await cache.PredictImageAsync(model.Folder, name, image, cancellationToken)
            : null;

    /// <summary>
    /// Writes the model folder as a ZIP (the Hugging Face layout for BERT, with the baseline in its
    /// baseline/ folder) to <paramref name="output"/>; the baseline variant is the baseline folder alone.
    /// </summary>
    public static async Task WriteZipAsync(ModelView model, Stream output, ModelVariant variant = ModelVariant.Model,
        CancellationToken cancellationToken = default)
    {
        await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        var root = variant == ModelVariant.Baseline ? model.BaselineFolder : model.Folder;
        await AddFilesAsync(zip, root, "", cancellationToken);
        if (variant == ModelVariant.Model && model.HasBaseline)
            await AddFilesAsync(zip, model.BaselineFolder, BaselineTrainer.FolderName + "/", cancellationToken);
    }

    // Only the files of one folder: checkpoints and anything else below it stay out of the download.
    private static async Task AddFilesAsync(ZipArchive zip, string folder, string prefix, CancellationToken cancellationToken)
    {
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            var entry = zip.CreateEntry(prefix + Path.GetFileName(file), CompressionLevel.Fastest);
            await using var target = await entry.OpenAsync(cancellationToken);
            await using var source = File.OpenRead(file);
            await source.CopyToAsync(target, cancellationToken);
        }
    }
}
