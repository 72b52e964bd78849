using Npgsql;
using Platform.Data.Artifacts;
using Platform.Domain.Common;
using Platform.Jobs.Predictions;
using Platform.Jobs.Privacy;

namespace Platform.Jobs.Models;

/// <summary>
/// Deletes one of the current tenant's trained models, for the model page and DELETE /api/v1/models/{id}:
/// the job forgets its model folder (the job, its events and its metered usage stay), so the models grid
/// and the model page no longer show it, and the folder's files leave the artifact store. A model that a
/// queued or running batch prediction reads is refused: that job would fail half-way through.
/// </summary>
public sealed class DeleteModelCommand(NpgsqlDataSource dataSource, ModelQueries models, StoredFolders stored, TenantFolders folders,
    ICurrentTenant current, TimeProvider clock)
{
    public async Task<Result> ExecuteAsync(Guid modelId, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result.Forbidden("Choose an organisation first.");
        if (await models.GetAsync(modelId, cancellationToken) is not { } model)
            return Result.NotFound("No such model.");
        // The check and the update are one statement: a batch prediction that starts running between a separate
        // check and the update would lose its model. (One launched after this finds no model and is refused.)
        await using (var forget = dataSource.CreateCommand("""
            UPDATE jobs SET result = (result - 'modelDirectory' - 'modelFolder') || jsonb_build_object('modelDeletedAt', $3::timestamptz)
            WHERE tenant_id = $1 AND id = $2 AND state = 'Succeeded' AND (result ? 'modelFolder' OR result ? 'modelDirectory')
              AND NOT EXISTS (SELECT 1 FROM jobs b WHERE b.tenant_id = $1 AND b.kind = $4 AND b.payload ->> 'modelJobId' = $2::text
                              AND b.state IN ('Queued', 'Running'))
            """))
        {
            forget.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            forget.Parameters.Add(new NpgsqlParameter { Value = modelId });
            forget.Parameters.Add(new NpgsqlParameter { Value = clock.GetUtcNow() });
            forget.Parameters.Add(new NpgsqlParameter { Value = BatchPredictionJobHandler.JobKind });
            if (await forget.ExecuteNonQueryAsync(cancellationToken) != 1)
                return await BusyBatchAsync(tenantId, modelId, cancellationToken) is { } batch
                    ? Result.Conflict($"The batch prediction “{batch}” is using this model. Cancel it or let it finish, then delete the model.")
                    : Result.NotFound("No such model.");
        }
        if (model.Stored)
        {
            // The stored folder's rows and the bytes no other folder or dataset shares.
            await stored.DeleteAsync(tenantId, model.Folder, cancellationToken);
        }
        // Only a folder inside the tenant's own jobs folder is removed: the path came from the worker.
        else if (folders.TenantJobs(tenantId) is { } root
            && Path.GetFullPath(model.Folder).StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            TenantFolders.DeleteIfExists(model.Folder);
        }
        return Result.Success();
    }

    private async Task<string?> BusyBatchAsync(Guid tenantId, Guid modelId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT name FROM jobs WHERE tenant_id = $1 AND kind = $2 AND payload ->> 'modelJobId' = $3 AND state IN ('Queued', 'Running')
            ORDER BY created_at LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = BatchPredictionJobHandler.JobKind });
        command.Parameters.Add(new NpgsqlParameter { Value = modelId.ToString() });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
