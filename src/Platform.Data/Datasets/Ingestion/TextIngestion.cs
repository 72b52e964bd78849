using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

/// <summary>
/// What reading a CSV upload produced; the accepted rows were written as normalised CSV. CopyOf maps a
/// row whose text an earlier row has under another label to that row (record indices), for the split.
/// </summary>
internal sealed record TextIngestion(
    IReadOnlyList<string> Columns,
    string TextColumn,
    string LabelColumn,
    IReadOnlyList<string> Labels,
    DatasetStats Stats,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<DatasetSample> Samples,
    SkippedRows Empty,
    SkippedRows Duplicates,
    SkippedRows OverLong,
    IReadOnlyDictionary<int, int> CopyOf);
