using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Data.Artifacts;

namespace Platform.Jobs.Catalog;

/// <summary>
/// A base model's files as a local folder for the trainer: fetched from the artifact store (decrypted) into
/// this host's cache (<see cref="ModelCatalogOptions.CacheRoot"/>) once, then reused by later jobs. A cache
/// entry is named after the model's store owner and folder and a digest of its listing (each file's path and
/// content hash), so a model whose files changed is fetched again, never served stale; its older version is
/// deleted then. Beyond <see cref="ModelCatalogOptions.CacheMaxBytes"/> the least recently used entries go.
/// </summary>
public sealed class BaseModelFiles(StoredFolders storedFolders, IOptions<ModelCatalogOptions> options, ILogger<BaseModelFiles> logger)
{
    private const string UsedSuffix = ".used";
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>A text model's files as a local folder: fetched from the store, or the plain folder of a model not moved yet.</summary>
    public Task<string> LocalFolderAsync(BaseModel model, CancellationToken cancellationToken = default) =>
        model.Stored is { } stored ? LocalFolderAsync(stored, cancellationToken)
        : Task.FromResult(model.Path ?? throw new InvalidOperationException($"'{model.Name}' is a preset, not a model folder."));

    /// <summary>The local folder holding <paramref name="model"/>'s files, fetched if this host has not got this version.</summary>
    public async Task<string> LocalFolderAsync(StoredBaseModel model, CancellationToken cancellationToken = default)
    {
        var files = await storedFolders.ListAsync(model.Owner, model.Folder, cancellationToken);
        if (files.Count == 0)
            throw new InvalidOperationException("The base model's files are no longer in the store: it was deleted. Launch the job again from another base model.");
        var root = Path.GetFullPath(options.Value.CacheRoot);
        var entry = Path.Combine(root, $"{model.Owner:N}-{model.Folder.Replace('/', '-')}");
        var version = Digest(files);
        var target = Path.Combine(entry, version);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!Directory.Exists(target))
            {
                Directory.CreateDirectory(entry);
                var staging = Path.Combine(entry, $"{version}.{Guid.NewGuid():N}.staging");
                await storedFolders.DownloadAsync(model.Owner, model.Folder, files, staging, cancellationToken);
                try
                {
                    Directory.Move(staging, target);
                }
                catch (IOException) when (Directory.Exists(target))
                {
                    // Another process on this host fetched the same version first.
                    Directory.Delete(staging, recursive: true);
                }
                // Earlier versions of this model: its files changed since they were fetched.
                foreach (var old in Directory.EnumerateDirectories(entry).Where(d => Path.GetFileName(d) != version))
                    Delete(old);
                logger.LogInformation("Fetched base model {Folder} of {Owner} ({Files} files) into the cache", model.Folder, model.Owner, files.Count);
            }
            await File.WriteAllTextAsync(target + UsedSuffix, "", cancellationToken);
            File.SetLastWriteTimeUtc(target + UsedSuffix, DateTime.UtcNow);
            Evict(root, keep: target);
            return target;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A short name for the content of a listing: its paths and their SHA-256.</summary>
    internal static string Digest(IEnumerable<StoredFile> files)
    {
        var text = new StringBuilder();
        foreach (var file in files.OrderBy(f => f.Path, StringComparer.Ordinal))
            text.Append(file.Path).Append('\n').Append(file.Hash).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private void Evict(string root, string keep)
    {
        var entries = Directory.EnumerateDirectories(root).SelectMany(Directory.EnumerateDirectories)
            .Where(d => !d.EndsWith(".staging", StringComparison.Ordinal) && !d.EndsWith(".partial", StringComparison.Ordinal))
            .Select(d => (Path: d, Used: File.Exists(d + UsedSuffix) ? File.GetLastWriteTimeUtc(d + UsedSuffix) : DateTime.MinValue,
                Bytes: Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)))
            .OrderBy(e => e.Used)
            .ToList();
        var total = entries.Sum(e => e.Bytes);
        foreach (var (path, _, bytes) in entries)
        {
            if (total <= options.Value.CacheMaxBytes)
                break;
            if (path == keep)
                continue;
            Delete(path);
            total -= bytes;
        }
    }

    private void Delete(string version)
    {
        try
        {
            Directory.Delete(version, recursive: true);
            File.Delete(version + UsedSuffix);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not delete the cached base model {Folder}", version);
        }
    }
}
