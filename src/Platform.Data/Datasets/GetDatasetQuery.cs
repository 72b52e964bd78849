using Microsoft.EntityFrameworkCore;
using Platform.Domain.Common;
using Platform.Domain.Datasets;

namespace Platform.Data.Datasets;

public sealed class GetDatasetQuery(PlatformDbContext db)
{
    /// <summary>Another tenant's dataset is NotFound, exactly like a missing one.</summary>
    public async Task<Result<Dataset>> ExecuteAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        return dataset is null ? Result<Dataset>.NotFound("No such dataset.") : Result<Dataset>.Success(dataset);
    }
}
