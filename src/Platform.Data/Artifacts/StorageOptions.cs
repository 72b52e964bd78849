using System.ComponentModel.DataAnnotations;

namespace Platform.Data.Artifacts;

/// <summary>Section "Storage".</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Directory holding one sub-directory per tenant (and upload scratch space).</summary>
    [Required(ErrorMessage = "Storage:Root is not set.")]
    public string? Root { get; set; }

    /// <summary>
    /// Scratch space for uploads while they stream in and are parsed (files deleted on close; the
    /// housekeeping job removes those a crashed process left behind).
    /// A method, not a property: options validation reads every property, and this one needs Root.
    /// </summary>
    public string UploadScratchDirectory() => Path.Combine(Path.GetFullPath(Root!), "uploads");
}
