using Microsoft.EntityFrameworkCore;
using Platform.Data.Artifacts;

namespace Platform.Data.Datasets;

internal static class DatasetArtifacts
{
    /// <summary>
    /// Deletes the files no dataset of the tenant references any more. Content addressing means two
    /// datasets (or a dataset and a stored folder) can share a file, so references decide, not ownership by one dataset.
    /// </summary>
    public static async Task DeleteUnreferencedAsync(
        PlatformDbContext db, IArtifactStore store, Guid tenantId, IEnumerable<string> hashes, CancellationToken cancellationToken)
    {
        foreach (var hash in hashes.Distinct())
        {
            var referenced = await db.DatasetFiles.IgnoreQueryFilters().AnyAsync(f => f.TenantId == tenantId && f.Hash == hash, cancellationToken)
                // A model or checkpoint folder may hold the same bytes (StoredFolders).
                || await db.Database.SqlQuery<bool>(
                    $"SELECT EXISTS (SELECT 1 FROM stored_folder_files WHERE tenant_id = {tenantId} AND hash = {hash}) AS \"Value\"")
                    .SingleAsync(cancellationToken);
            if (!referenced)
            {
                await store.DeleteAsync(tenantId, hash, cancellationToken);
            }
        }
    }
}
