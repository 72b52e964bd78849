using Microsoft.EntityFrameworkCore;
using Platform.Data.Artifacts;
using Platform.Domain.Common;

namespace Platform.Data.Datasets;

/// <summary>
/// Opens a file of one of the current tenant's datasets (a thumbnail, the data, the split): only a
/// hash the dataset references is served, so a guessed hash reaches nothing.
/// </summary>
public sealed class OpenDatasetFileQuery(PlatformDbContext db, IArtifactStore store)
{
    public async Task<Result<Stream>> ExecuteAsync(Guid datasetId, string hash, CancellationToken cancellationToken = default)
    {
        var file = await db.DatasetFiles.AsNoTracking().FirstOrDefaultAsync(f => f.DatasetId == datasetId && f.Hash == hash, cancellationToken);
        if (file is null)
        {
            return Result<Stream>.NotFound("No such file.");
        }
        return Result<Stream>.Success(await store.OpenReadAsync(file.TenantId, hash, cancellationToken));
    }
}
