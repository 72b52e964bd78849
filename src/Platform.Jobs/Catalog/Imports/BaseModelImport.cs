namespace Platform.Jobs.Catalog.Imports;

/// <summary>Where an import stands: queued, downloading, validating, then done, failed (with the reason) or cancelled.</summary>
public static class ImportStates
{
    public const string Queued = "queued";
    public const string Downloading = "downloading";
    public const string Validating = "validating";
    public const string Done = "done";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsActive(string state) => state is Queued or Downloading or Validating;
}

/// <summary>One import as the catalog pages show it.</summary>
public sealed record BaseModelImport(
    Guid Id,
    Guid? TenantId,
    string Name,
    string SourceKind,
    string? RepoId,
    string? Revision,
    string? CommitSha,
    string State,
    long BytesDone,
    long? BytesTotal,
    string? CurrentFile,
    string? Error,
    bool CancelRequested,
    Guid? BaseModelId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt)
{
    public bool IsActive => ImportStates.IsActive(State);

    /// <summary>"hf:org/name@revision" or "ZIP upload", for the list.</summary>
    public string SourceText => SourceKind == "hub" ? $"{RepoId}@{Revision}" : "ZIP upload";

    /// <summary>0-1 of the bytes to download, when the total is known.</summary>
    public double? Fraction => BytesTotal is > 0 and var total ? Math.Clamp((double)BytesDone / total, 0, 1) : null;
}
