namespace Platform.Domain.Datasets;

/// <summary>
/// One example shown on the dataset page: the (truncated) text of a row, or the artifact hash of an
/// image thumbnail, with its label and its index among the accepted records.
/// </summary>
public sealed record DatasetSample(int Index, string Label, string? Text, string? ImageHash);
