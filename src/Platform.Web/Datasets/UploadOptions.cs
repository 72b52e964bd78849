using System.ComponentModel.DataAnnotations;

namespace Platform.Web.Datasets;

public sealed class UploadOptions
{
    public const string Section = "Uploads";

    /// <summary>Largest request the upload endpoint accepts, multipart framing included.</summary>
    [Range(1024, 64L * 1024 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 512L * 1024 * 1024;
}
