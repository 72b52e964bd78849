namespace Platform.Data.Datasets;

/// <summary>
/// One artifact a dataset uses. Artifacts are content-addressed, so two versions of the same upload
/// share files; a file is deleted only when no dataset references it any more.
/// </summary>
internal sealed class DatasetFile
{
    public Guid TenantId { get; set; }

    public Guid DatasetId { get; set; }

    public string Hash { get; set; } = "";

    /// <summary>What the file takes on disk (its stored length in whole blocks); null for files stored before it was recorded.</summary>
    public long? StoredBytes { get; set; }
}
