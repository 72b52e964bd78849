using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Catalog.Hub;

/// <summary>Section "HuggingFace": where model imports download from.</summary>
internal sealed class HuggingFaceOptions
{
    /// <summary>The Hub (or a mirror with the same HTTP API): model info under /api/models, files under /{id}/resolve/{revision}/.</summary>
    [Required, Url]
    public string Endpoint { get; set; } = "https://huggingface.co";

    /// <summary>
    /// An access token (hf_...), sent as a Bearer token to the endpoint only (never to the storage it
    /// redirects downloads to). Needed for gated and private repositories; never logged.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>Longest wait for the Hub to answer or send the next bytes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a download cut off mid-file is resumed (from where it stopped) before the import fails.</summary>
    [Range(0, 100)]
    public int Retries { get; set; } = 4;

    /// <summary>Wait before the first retry; doubled each time.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);
}
