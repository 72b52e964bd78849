namespace Platform.Domain.Datasets;

/// <summary>
/// A dataset row is written only after its upload validated and its files are stored, so today every
/// row is Ready; the column exists so that later states (an archived or re-profiling dataset) need no
/// schema change.
/// </summary>
public enum DatasetStatus
{
    Ready,
}
