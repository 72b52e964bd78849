using System.IO.Compression;
using System.Text.Json;
using Platform.Jobs.Portal;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Jobs.Models;

/// <summary>A trained model: the folder a succeeded job wrote, with its evaluation.</summary>
public sealed record ModelView(Guid JobId, string Name, string Kind, string Folder, MetricsReport Metrics);

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
        return new ModelView(job.Id, job.Name, kind, folder, MetricsFile.Read(Path.Combine(folder, MetricsFile.FileName)));
    }

    public async Task<IReadOnlyList<Prediction>?> PredictTextAsync(Guid jobId, string text, CancellationToken cancellationToken = default) =>
        await GetAsync(jobId, cancellationToken) is { Kind: "bert" } model
            ? await cache.PredictTextAsync(model.Folder, [text], cancellationToken)
            : null;

    public async Task<IReadOnlyList<Prediction>?> PredictImageAsync(Guid jobId, string name, byte[] image, CancellationToken cancellationToken = default) =>
        await GetAsync(jobId, cancellationToken) is { Kind: "cnn" } model
            ? await cache.PredictImageAsync(model.Folder, name, image, cancellationToken)
            : null;

    /// <summary>Writes the model folder as a ZIP (the Hugging Face layout for BERT) to <paramref name="output"/>.</summary>
    public static async Task WriteZipAsync(ModelView model, Stream output, CancellationToken cancellationToken = default)
    {
        await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var file in Directory.EnumerateFiles(model.Folder).Order(StringComparer.Ordinal))
        {
            var entry = zip.CreateEntry(Path.GetFileName(file), CompressionLevel.Fastest);
            await using var target = await entry.OpenAsync(cancellationToken);
            await using var source = File.OpenRead(file);
            await source.CopyToAsync(target, cancellationToken);
        }
    }
}
