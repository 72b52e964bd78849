using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data;
using Platform.Data.Artifacts;
using Platform.Jobs.Privacy;
using Platform.Training.Training;

namespace Platform.Jobs.Catalog;

/// <summary>
/// In the host that applies migrations (the web host), in the background (<see cref="LegacyFolderMigration"/>): moves the text base models that
/// installs from before the artifact store held them kept as plain folders under Catalog:Root into the store
/// (a private model encrypted with its tenant's data key, a platform-wide one with the platform's), then deletes
/// the plain folder once no queued or running job names it (such a job trains from the folder; a later start
/// deletes it). Idempotent: a row keeps its path until its folder is gone, so a restart finishes what a stop
/// cut short, and once none is left a start costs one query.
/// </summary>
internal sealed class LegacyCatalogFolderMigration(
    NpgsqlDataSource dataSource,
    StoredFolders storedFolders,
    TenantFolders folders,
    IOptions<DataOptions> data,
    ILogger<LegacyCatalogFolderMigration> logger) : LegacyFolderMigration(data, logger)
{
    protected override string Moves => "base model folder(s)";

    /// <summary>Stores every plain base model folder and deletes those no active job names; returns how many were stored.</summary>
    public override async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var pending = new List<(Guid Id, Guid? Tenant, string Path, string? Folder)>();
        await using (var command = dataSource.CreateCommand(
            "SELECT id, tenant_id, path, folder FROM base_models WHERE kind = 'bert' AND path IS NOT NULL ORDER BY created_at"))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                pending.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        var moved = 0;
        foreach (var (id, tenant, path, stored) in pending)
        {
            if (stored is null)
            {
                if (!Directory.Exists(path))
                {
                    Logger.LogWarning("Base model {ModelId}: its folder {Folder} is gone; the catalog keeps naming it", id, path);
                    continue;
                }
                var folder = BaseModel.FolderOf(id);
                var files = BaseModelCatalog.TextModelFiles.Select(f => (f, Path.Combine(path, f))).Where(f => File.Exists(f.Item2));
                await storedFolders.PutAsync(tenant ?? BaseModel.PlatformOwner, folder, files, cancellationToken);
                var profile = BaseModelProfile.Of(path);
                await using var update = dataSource.CreateCommand(
                    "UPDATE base_models SET folder = $2, hidden_size = $3, untrained = $4 WHERE id = $1 AND folder IS NULL");
                update.Parameters.Add(new NpgsqlParameter { Value = id });
                update.Parameters.Add(new NpgsqlParameter { Value = folder });
                update.Parameters.Add(new NpgsqlParameter { Value = profile.Width });
                update.Parameters.Add(new NpgsqlParameter { Value = profile.Start == ModelStart.TextFromScratch });
                await update.ExecuteNonQueryAsync(cancellationToken);
                moved++;
            }
            // Jobs queued before the move name the plain folder in their payload: it stays until they end.
            await using (var active = dataSource.CreateCommand("""
                SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('Queued', 'Running')
                               AND (payload->>'baseModel' = $1 OR payload->>'baseModelPath' = $1))
                """))
            {
                active.Parameters.Add(new NpgsqlParameter { Value = path });
                if (await active.ExecuteScalarAsync(cancellationToken) is true)
                    continue;
            }
            await using (var clear = dataSource.CreateCommand("UPDATE base_models SET path = NULL WHERE id = $1 AND folder IS NOT NULL"))
            {
                clear.Parameters.Add(new NpgsqlParameter { Value = id });
                await clear.ExecuteNonQueryAsync(cancellationToken);
            }
            if (folders.InCatalog(path))
                TenantFolders.DeleteIfExists(path);
        }
        return moved;
    }
}
