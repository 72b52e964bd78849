using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data;
using Platform.Data.Artifacts;
using Platform.Jobs.Privacy;

namespace Platform.Jobs.Training;

/// <summary>
/// In the host that applies migrations (the web host), in the background (<see cref="LegacyFolderMigration"/>): moves the models that installs
/// from before the artifact store held them wrote as plain folders under Training:WorkDirectory into the
/// store (encrypted, as jobs/{job}/migrated/model), points the job's result at the stored folder, then
/// deletes the finished job's plain folder (model, checkpoints and training data). Until a model is moved
/// it is still read from its folder. Idempotent: it looks for results that still name a directory, so a
/// restart finishes what a stop cut short, and once none is left a start costs one query.
/// </summary>
internal sealed class LegacyJobFolderMigration(
    NpgsqlDataSource dataSource,
    StoredFolders storedFolders,
    TenantFolders folders,
    IOptions<DataOptions> data,
    ILogger<LegacyJobFolderMigration> logger) : LegacyFolderMigration(data, logger)
{
    public static string MigratedModel(Guid jobId) => $"{JobFolders.Job(jobId)}migrated/{JobFolders.ModelName}";

    protected override string Moves => "model folder(s)";

    /// <summary>Moves every legacy model folder still named by a finished job's result; returns how many moved.</summary>
    public override async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var pending = new List<(Guid Tenant, Guid Job, string Directory)>();
        await using (var command = dataSource.CreateCommand("""
            SELECT tenant_id, id, result->>'modelDirectory' FROM jobs
            WHERE state IN ('Succeeded', 'Failed', 'Cancelled') AND result ? 'modelDirectory' AND NOT result ? 'modelFolder'
            ORDER BY finished_at
            """))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!reader.IsDBNull(2))
                    pending.Add((reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2)));
            }
        }
        var moved = 0;
        foreach (var (tenant, job, directory) in pending)
        {
            if (!Directory.Exists(directory))
            {
                Logger.LogWarning("Job {JobId}: its model folder {Folder} is gone; the job keeps naming it", job, directory);
                continue;
            }
            var name = MigratedModel(job);
            await storedFolders.PutAsync(tenant, name, directory, cancellationToken);
            await using (var update = dataSource.CreateCommand("""
                UPDATE jobs SET result = (result - 'modelDirectory') || jsonb_build_object('modelFolder', $2::text)
                WHERE id = $1 AND result->>'modelDirectory' = $3
                """))
            {
                update.Parameters.Add(new NpgsqlParameter { Value = job });
                update.Parameters.Add(new NpgsqlParameter { Value = name });
                update.Parameters.Add(new NpgsqlParameter { Value = directory });
                await update.ExecuteNonQueryAsync(cancellationToken);
            }
            // The whole job folder goes: the plain model, checkpoints and training data of a finished job.
            if (folders.TenantJobs(tenant) is { } tenantJobs)
                TenantFolders.DeleteIfExists(Path.Combine(tenantJobs, job.ToString("N")));
            moved++;
        }
        return moved;
    }
}
