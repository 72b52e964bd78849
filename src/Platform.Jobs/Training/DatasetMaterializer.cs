using System.Text.Json;
using Platform.Data.Artifacts;

namespace Platform.Jobs.Training;

/// <summary>
/// Lays a dataset out in the job's folder in the form the trainer reads: the normalised CSV for
/// text, one folder per label for images. Written once per job (a marker file records completion),
/// so a resumed attempt reuses it.
/// </summary>
internal sealed class DatasetMaterializer(IArtifactStore store)
{
    private const string Marker = ".complete";

    public async Task<string> MaterializeAsync(Guid tenantId, DatasetReference dataset, string jobFolder, CancellationToken cancellationToken)
    {
        var target = Path.Combine(jobFolder, "data");
        var path = dataset.Kind == "Text" ? Path.Combine(target, "data.csv") : Path.Combine(target, "images");
        if (File.Exists(Path.Combine(target, Marker)))
            return path;
        if (Directory.Exists(target))
            Directory.Delete(target, recursive: true);
        Directory.CreateDirectory(target);

        if (dataset.Kind == "Text")
        {
            await CopyAsync(tenantId, dataset.ArtifactPath, path, cancellationToken);
        }
        else
        {
            await using var manifest = await store.OpenReadAsync(tenantId, dataset.ArtifactPath, cancellationToken);
            using var reader = new StreamReader(manifest);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                    continue;
                var entry = JsonSerializer.Deserialize<ManifestEntry>(line, Json)
                    ?? throw new InvalidDataException("An image manifest line is empty.");
                var folder = Path.Combine(path, SafeName(entry.Label));
                Directory.CreateDirectory(folder);
                await CopyAsync(tenantId, entry.Hash, Path.Combine(folder, SafeName(Path.GetFileName(entry.Name))), cancellationToken);
            }
        }
        await File.WriteAllTextAsync(Path.Combine(target, Marker), dataset.Id.ToString(), cancellationToken);
        return path;
    }

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

    private sealed record ManifestEntry(string Hash, string Label, string Name);
}
