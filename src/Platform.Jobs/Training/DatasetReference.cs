namespace Platform.Jobs.Training;

/// <summary>A dataset version a job trains on: its kind and the artifact key of its data (CSV or image manifest).</summary>
public sealed record DatasetReference(Guid Id, string Kind, string ArtifactPath);
