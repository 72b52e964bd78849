using Platform.Domain.Datasets;

namespace Platform.Data.Datasets;

/// <summary>
/// An upload to turn into a dataset. Content is read once, front to back (a request body is fine).
/// Text and label columns default to "text" and "label" (case-insensitive) for CSV uploads.
/// </summary>
/// <param name="Lines">For a <see cref="DatasetKind.Corpus"/>: the file is plain text, one document per line (a .txt), not a CSV.</param>
public sealed record CreateDatasetRequest(string Name, DatasetKind Kind, Stream Content, string? TextColumn = null, string? LabelColumn = null,
    bool Lines = false);
