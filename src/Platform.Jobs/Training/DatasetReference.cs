namespace Platform.Jobs.Training;

/// <summary>
/// A dataset version a job trains on: its kind, the artifact key of its data (CSV or image manifest) and
/// of its stored train/validation split. SplitPath is null in payloads written before jobs used the
/// stored split; those train on the trainer's own split.
/// </summary>
internal sealed record DatasetReference(Guid Id, string Kind, string ArtifactPath, string? SplitPath = null);
