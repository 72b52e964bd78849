using Platform.Domain.Datasets;

namespace Platform.Data.Datasets;

/// <summary>
/// An upload to turn into a dataset. Content is read once, front to back (a request body is fine).
/// Text and label columns default to "text" and "label" (case-insensitive) for CSV uploads.
/// </summary>
/// <param name="Lines">For a <see cref="DatasetKind.Corpus"/>: the file is plain text, one document per line (a .txt), not a CSV.</param>
/// <param name="ExcludedColumns">For a <see cref="DatasetKind.Tabular"/> upload: columns the model must not read (its target is <paramref name="LabelColumn"/>).</param>
public sealed record CreateDatasetRequest(string Name, DatasetKind Kind, Stream Content, string? TextColumn = null, string? LabelColumn = null,
    bool Lines = false, IReadOnlyList<string>? ExcludedColumns = null)
{
    /// <summary>"a, b,,c" → ["a", "b", "c"]: how forms and the API send the excluded columns.</summary>
    public static IReadOnlyList<string> ParseColumnList(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
