namespace Platform.Domain.Datasets;

/// <summary>
/// Size statistics of the accepted rows: characters of text for a text dataset, pixel width and
/// height for an image dataset (Min/Max/Mean over width, MinHeight/MaxHeight over height), and for
/// images how many are in colour and how many can be see-through (null for datasets profiled before these were counted);
/// for a tabular dataset, its columns (<see cref="Table"/>).
/// </summary>
public sealed record DatasetStats(
    int Min,
    int Max,
    double Mean,
    int Median,
    int MinHeight = 0,
    int MaxHeight = 0,
    int? ColourCount = null,
    int? TransparentCount = null,
    TabularProfile? Table = null)
{
    public static readonly DatasetStats Empty = new(0, 0, 0, 0);

    public static DatasetStats Of(IReadOnlyCollection<int> values)
    {
        if (values.Count == 0)
        {
            return Empty;
        }
        var sorted = values.Order().ToArray();
        return new DatasetStats(sorted[0], sorted[^1], Math.Round(sorted.Average(v => (double)v), 2), sorted[sorted.Length / 2]);
    }
}
