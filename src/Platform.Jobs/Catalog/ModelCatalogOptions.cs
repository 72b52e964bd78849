using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Catalog;

/// <summary>Section "Catalog": where base models live and what an import may bring in.</summary>
public sealed class ModelCatalogOptions
{
    /// <summary>
    /// This host's local catalog folder: the imports' work folders ({Root}/imports/{import id}) and the cache
    /// of base models fetched from the artifact store ({Root}/cache). The models themselves are in the
    /// artifact store; nothing here needs to be shared between hosts. Earlier installs kept models here
    /// ({Root}/{model id}); the web host moves them into the store. Defaults to {Storage:Root}/catalog.
    /// Checked when first used: a host that never touches the catalog needs no storage.
    /// </summary>
    public string Root { get; set; } = "";

    /// <summary>
    /// Where a worker keeps base models decrypted from the store for training (default {Root}/cache), one
    /// folder per model and version of its files. Like a run's spool folder it is plaintext on the worker's
    /// local disk: put it on an encrypted disk if that matters.
    /// </summary>
    public string CacheDirectory { get; set; } = "";

    /// <summary>The most the cache keeps; the least recently used models beyond it are deleted (the one just fetched stays).</summary>
    [Range(0, long.MaxValue)]
    public long CacheMaxBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>The largest model ZIP a browser may upload (a BERT-large folder is about 1.4 GB).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>The most a Hub import may download, all files together.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxImportBytes { get; set; } = 8L * 1024 * 1024 * 1024;

    /// <summary>Runs the import service in this process (web hosts); false leaves imports to other instances.</summary>
    public bool ImportsEnabled { get; set; } = true;

    /// <summary>How often an idle import service looks for work another instance queued (its own are started at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan ImportPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a claimed import stays with its instance without a renewal: after a crash, another
    /// instance (or the same one restarted) resumes it once this has passed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ImportLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Least time between two progress writes of a download.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ProgressEvery { get; set; } = TimeSpan.FromSeconds(1);

    public string ImportsRoot => Path.Combine(Root, "imports");

    public string CacheRoot => CacheDirectory is { Length: > 0 } cache ? cache : Path.Combine(Root, "cache");
}
