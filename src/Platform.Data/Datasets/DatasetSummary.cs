using Platform.Domain.Datasets;

namespace Platform.Data.Datasets;

public sealed record DatasetSummary(
    Guid Id, string Name, int Version, DatasetKind Kind, int RowCount, int ClassCount, long SizeBytes, int WarningCount, DateTimeOffset CreatedAt);
