using Microsoft.EntityFrameworkCore;

namespace Platform.Data.Datasets;

/// <summary>The current tenant's datasets, newest first.</summary>
public sealed class ListDatasetsQuery(PlatformDbContext db)
{
    public async Task<IReadOnlyList<DatasetSummary>> ExecuteAsync(CancellationToken cancellationToken = default)
    {
        var datasets = await db.Datasets.AsNoTracking()
            .OrderByDescending(d => d.CreatedAt)
            .ToListAsync(cancellationToken);
        // Counts come from the jsonb columns, which EF reads whole; the list is per tenant and short.
        return datasets
            .Select(d => new DatasetSummary(d.Id, d.Name, d.Version, d.Kind, d.RowCount, d.LabelCounts.Count, d.SizeBytes, d.Warnings.Count, d.CreatedAt))
            .ToList();
    }
}
