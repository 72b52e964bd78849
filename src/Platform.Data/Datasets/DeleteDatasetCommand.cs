using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Data.Tenants;
using Platform.Domain.Common;

namespace Platform.Data.Datasets;

/// <summary>Removes a dataset version and the files no other version uses.</summary>
public sealed class DeleteDatasetCommand(PlatformDbContext db, ICurrentTenant current, IArtifactStore store)
{
    public async Task<Result> ExecuteAsync(Guid datasetId, CancellationToken cancellationToken = default)
    {
        var allowed = await TenantGuard.RequireMemberAsync(db, current, cancellationToken);
        if (!allowed.IsSuccess)
        {
            return allowed;
        }
        var dataset = await db.Datasets.FirstOrDefaultAsync(d => d.Id == datasetId, cancellationToken);
        if (dataset is null)
        {
            return Result.NotFound("No such dataset.");
        }
        var hashes = await db.DatasetFiles.Where(f => f.DatasetId == datasetId).Select(f => f.Hash).ToListAsync(cancellationToken);
        db.Datasets.Remove(dataset);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation })
        {
            db.ChangeTracker.Clear();
            return Result.Conflict($"{dataset.Name} v{dataset.Version} is still used (by a training job) and cannot be deleted.");
        }
        // Rows first, files second: a crash in between leaves unreferenced files, never a row without its files.
        await DatasetArtifacts.DeleteUnreferencedAsync(db, store, dataset.TenantId, hashes, cancellationToken);
        return Result.Success();
    }
}
