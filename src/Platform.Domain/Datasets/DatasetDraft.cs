namespace Platform.Domain.Datasets;

/// <summary>Everything ingestion learned about an upload, before it becomes a numbered version.</summary>
public sealed record DatasetDraft(
    string Name,
    DatasetKind Kind,
    string ContentHash,
    string ArtifactPath,
    string SplitPath,
    long SizeBytes,
    string? TextColumn,
    string? LabelColumn,
    DatasetProfile Profile,
    DatasetSplit Split,
    IReadOnlyList<DatasetSample> Samples);
