using Npgsql;
using Platform.Data.Artifacts;
using Platform.Domain.Common;
using Platform.Jobs.Portal;

namespace Platform.Jobs.Predictions;

/// <summary>A batch prediction of a model as its page lists it.</summary>
public sealed record BatchPredictionView(Guid JobId, string Name, string State, DateTimeOffset CreatedAt, int? Rows);

/// <summary>The current tenant's batch predictions and their result files (another tenant's are not found).</summary>
public sealed class BatchPredictionQueries(NpgsqlDataSource dataSource, JobQueries jobs, StoredFolders storedFolders, ICurrentTenant current)
{
    /// <summary>The latest batch predictions of a model, newest first.</summary>
    public async Task<IReadOnlyList<BatchPredictionView>> ListForModelAsync(Guid modelJobId, int limit = 10, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return [];
        await using var command = dataSource.CreateCommand("""
            SELECT id, name, state, created_at, (result ->> 'rows')::int FROM jobs
            WHERE tenant_id = $1 AND kind = $2 AND payload ->> 'modelJobId' = $3
            ORDER BY created_at DESC, id DESC LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = BatchPredictionJobHandler.JobKind });
        command.Parameters.Add(new NpgsqlParameter { Value = modelJobId.ToString() });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var list = new List<BatchPredictionView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new BatchPredictionView(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4)));
        return list;
    }

    /// <summary>The result file of a succeeded batch prediction; NotFound for any other job, Conflict while it has none yet.</summary>
    public async Task<Result<Stream>> OpenResultAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is null || job.Kind != BatchPredictionJobHandler.JobKind || current.TenantId is not { } tenantId)
            return Result<Stream>.NotFound("Batch prediction not found.");
        if (job is not { State: "Succeeded", ResultJson: { } result })
            return Result<Stream>.Conflict($"The batch prediction is {job.State.ToLowerInvariant()}; its result file comes when it succeeds.");
        if (BatchPredictionResult.Parse(result) is not { } batch)
            return Result<Stream>.Conflict("The batch prediction succeeded without a result file.");
        return Result<Stream>.Success(await storedFolders.OpenReadAsync(tenantId, batch.PredictionsFolder, batch.File, cancellationToken));
    }

    /// <summary>The file name a job's result downloads as.</summary>
    public static string DownloadName(string jobName) =>
        string.Concat(jobName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')).Trim('-') + "-predictions.csv";
}
