using Platform.Domain.Datasets;

namespace Platform.Data.Datasets.Ingestion;

internal static class SampleSelection
{
    /// <summary>Takes one example per label in turn, so the page shows every class, not just the first.</summary>
    public static IReadOnlyList<DatasetSample> RoundRobin(IEnumerable<IReadOnlyList<DatasetSample>> perLabel, int count)
    {
        var queues = perLabel.Where(l => l.Count > 0).ToList();
        var chosen = new List<DatasetSample>();
        for (var round = 0; chosen.Count < count && queues.Any(q => q.Count > round); round++)
        {
            foreach (var queue in queues.Where(q => q.Count > round))
            {
                if (chosen.Count == count)
                {
                    break;
                }
                chosen.Add(queue[round]);
            }
        }
        return chosen.OrderBy(s => s.Index).ToList();
    }
}
