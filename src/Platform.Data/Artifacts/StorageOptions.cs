using System.ComponentModel.DataAnnotations;

namespace Platform.Data.Artifacts;

/// <summary>Section "Storage".</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Directory holding one sub-directory per tenant (and upload scratch space).</summary>
    [Required(ErrorMessage = "Storage:Root is not set.")]
    public string? Root { get; set; }
}
