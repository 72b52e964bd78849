using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Catalog;

/// <summary>Section "Catalog": where base models live and what an import may bring in.</summary>
public sealed class ModelCatalogOptions
{
    /// <summary>
    /// The catalog's own copies of base models ({Root}/{model id}) and the imports' work folders
    /// ({Root}/imports/{import id}). Defaults to {Storage:Root}/catalog: storage every web and worker
    /// host sees, since jobs train from these folders. Checked when first used: a host that never
    /// touches the catalog needs no storage.
    /// </summary>
    public string Root { get; set; } = "";

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
}
