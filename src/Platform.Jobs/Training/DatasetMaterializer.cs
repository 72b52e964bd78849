using System.Globalization;
using System.Text.Json;
using Platform.Data.Artifacts;
using Platform.Data.Datasets;
using Platform.Domain.Datasets;
using Platform.Training.Data;

namespace Platform.Jobs.Training;

/// <summary>The dataset as the trainer reads it, and the dataset's stored split in the trainer's load order.</summary>
internal sealed record MaterializedDataset(string DataPath, DataSplit? Split);

/// <summary>
/// Lays a dataset out in a run's folder on the worker's disk in the form the trainer reads: the
/// normalised CSV for text, one folder per label for images, plus the dataset's stored split translated
/// to the order the trainer loads examples in. A marker file records completion; the copy goes with the
/// run's local folder when the run ends (the store keeps the dataset, encrypted).
/// </summary>
internal sealed class DatasetMaterializer(IArtifactStore store)
{
    private const string Marker = ".complete";
    private const string SplitFileName = "split.json";

    public async Task<MaterializedDataset> MaterializeAsync(Guid tenantId, DatasetReference dataset, string runFolder,
        CancellationToken cancellationToken)
    {
        var target = Path.Combine(runFolder, "data");
        // Text and corpus datasets are stored as normalised CSV (text,label or text), tables as their accepted
        // columns; images as a manifest.
        var csv = dataset.Kind is "Text" or "Corpus" or "Tabular";
        var path = csv ? Path.Combine(target, "data.csv") : Path.Combine(target, "images");
        var splitPath = Path.Combine(target, SplitFileName);
        if (File.Exists(Path.Combine(target, Marker)))
            return new MaterializedDataset(path, await ReadSplitAsync(splitPath, cancellationToken));
        if (Directory.Exists(target))
            Directory.Delete(target, recursive: true);
        Directory.CreateDirectory(target);

        // Where record i of the dataset (row i of the CSV, line i of the manifest) is in the trainer's order.
        Func<int, int> loadIndex;
        if (csv)
        {
            // The trainer reads the normalised CSV row by row: its order is the record order.
            await CopyAsync(tenantId, dataset.ArtifactPath, path, cancellationToken);
            loadIndex = record => record;
        }
        else
        {
            await WriteImagesAsync(tenantId, dataset.ArtifactPath, path, cancellationToken);
            loadIndex = ImageLoadOrder(path);
        }

        if (dataset.SplitPath is { Length: > 0 } stored)
        {
            DatasetSplit split;
            await using (var file = await store.OpenReadAsync(tenantId, stored, cancellationToken))
                split = await SplitFile.ReadAsync(file, cancellationToken);
            var translated = new DataSplit([.. split.Train.Select(loadIndex)], [.. split.Validation.Select(loadIndex)]);
            await File.WriteAllTextAsync(splitPath, JsonSerializer.Serialize(translated, Json), cancellationToken);
        }
        await File.WriteAllTextAsync(Path.Combine(target, Marker), dataset.Id.ToString(), cancellationToken);
        return new MaterializedDataset(path, await ReadSplitAsync(splitPath, cancellationToken));
    }

    /// <summary>
    /// One folder per label; each file name starts with its record index, which keeps two images with the
    /// same name in one label apart and lets the split be translated to the trainer's (name) order.
    /// </summary>
    private async Task WriteImagesAsync(Guid tenantId, string manifestKey, string root, CancellationToken cancellationToken)
    {
        await using var manifest = await store.OpenReadAsync(tenantId, manifestKey, cancellationToken);
        var record = 0;
        await foreach (var entry in ImageManifest.ReadAsync(manifest, cancellationToken))
        {
            var folder = Path.Combine(root, SafeName(entry.Label));
            Directory.CreateDirectory(folder);
            var name = $"{record.ToString("D7", CultureInfo.InvariantCulture)}-{SafeName(Path.GetFileName(entry.Name))}";
            await CopyAsync(tenantId, entry.Hash, Path.Combine(folder, name), cancellationToken);
            record++;
        }
    }

    private static Func<int, int> ImageLoadOrder(string root)
    {
        var loaded = ImageDataset.Load(root);
        var positions = new int[loaded.Count];
        for (var i = 0; i < loaded.Count; i++)
        {
            var file = Path.GetFileName(loaded[i].Name);
            var dash = file.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(file.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var record)
                || record >= positions.Length)
                throw new InvalidDataException($"The materialised image '{loaded[i].Name}' does not start with its record index.");
            positions[record] = i;
        }
        return record => record >= 0 && record < positions.Length
            ? positions[record]
            : throw new InvalidDataException($"The dataset's split names record {record}, but it has {positions.Length} images.");
    }

    private static async Task<DataSplit?> ReadSplitAsync(string path, CancellationToken cancellationToken) =>
        File.Exists(path) ? JsonSerializer.Deserialize<DataSplit>(await File.ReadAllTextAsync(path, cancellationToken), Json) : null;

    private async Task CopyAsync(Guid tenantId, string hash, string destination, CancellationToken cancellationToken)
    {
        await using var source = await store.OpenReadAsync(tenantId, hash, cancellationToken);
        await using var file = File.Create(destination);
        await source.CopyToAsync(file, cancellationToken);
    }

    /// <summary>Labels and names were validated at upload; this only guards the file system against a path.</summary>
    private static string SafeName(string name)
    {
        var cleaned = string.Concat(name.Select(c => Path.GetInvalidFileNameChars().Contains(c) ? '_' : c));
        return cleaned is "" or "." or ".." ? "_" : cleaned;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
