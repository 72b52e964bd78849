using System.Text.Json;
using Npgsql;
using Platform.Domain.Common;
using Platform.Domain.Usage;
using Platform.Jobs.Catalog;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Training.Training;

namespace Platform.Jobs.Launch;

/// <summary>
/// Launches a training job for the current tenant: checks the tenant may write, the dataset is its
/// own and fits the base model, and the tenant is under its cap of active jobs; then writes the job
/// and its queue row in the same transaction as the check. The tenant's limits row is locked first,
/// so two launches at once cannot both pass a check that only one of them fits under.
/// </summary>
public sealed class LaunchJobCommand(
    NpgsqlDataSource dataSource,
    JobQueue queue,
    BaseModelCatalog catalog,
    ICurrentTenant current,
    ILaunchQuota? quota = null)
{
    public const string JobKind = TrainingJobHandler.JobKind;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<Result<Guid>> ExecuteAsync(LaunchJobRequest request, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result<Guid>.Forbidden("Choose an organisation first.");
        if (TrainingPreset.Find(request.Preset) is null)
            return Result<Guid>.BadRequest($"Unknown preset '{request.Preset}' (fast, balanced or best).");
        if (request is { Epochs: < 1 or > 100 } or { BatchSize: < 1 or > 1024 } or { LearningRate: <= 0 or > 1 } or { MaxSequenceLength: < 8 or > 512 })
            return Result<Guid>.BadRequest("Epochs must be 1-100, batch size 1-1024, learning rate in (0, 1], max length 8-512.");
        // Another tenant's private model is not found, exactly like a name that does not exist.
        var baseModel = await catalog.FindAsync(tenantId, request.BaseModel, cancellationToken);
        if (baseModel is null)
            return Result<Guid>.BadRequest($"Unknown base model '{request.BaseModel}'.");

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var limit = await LockLimitsAsync(connection, transaction, tenantId, cancellationToken);
        var tenant = await ReadTenantAsync(connection, transaction, tenantId, cancellationToken);
        if (tenant is null)
            return Result<Guid>.NotFound("The organisation does not exist.");
        if (tenant.Value.Suspended)
            return Result<Guid>.Forbidden($"This organisation is suspended and cannot launch jobs: {tenant.Value.Reason}");
        var active = await CountActiveAsync(connection, transaction, tenantId, cancellationToken);
        if (active >= limit)
            return Result<Guid>.Conflict($"Your organisation already has {active} active jobs, its limit. Wait for one to finish or cancel one.");

        var dataset = await ReadDatasetAsync(connection, transaction, tenantId, request.DatasetId, cancellationToken);
        if (dataset is null)
            return Result<Guid>.NotFound("Dataset not found.");
        if (dataset.Kind == "Corpus")
            return Result<Guid>.BadRequest("This dataset is unlabelled text: it can pre-train a text model, not train a classifier.");
        if ((dataset.Kind == "Text") != baseModel.IsBert)
        {
            return Result<Guid>.BadRequest(dataset.Kind == "Text"
                ? "A text dataset trains a BERT classifier: choose a BERT base model."
                : "An image dataset trains a CNN: choose a CNN preset.");
        }

        var plan = LaunchPlan.For(baseModel, request, dataset.TrainCount);
        var options = plan.Options;
        var deviceKind = await LikelyDeviceAsync(connection, transaction, cancellationToken);
        var estimate = plan.Estimate(baseModel.Parameters, deviceKind);
        string? warning = null;
        if (quota is not null)
        {
            var allowed = await quota.CheckAsync(deviceKind, estimate.Hours, cancellationToken);
            if (!allowed.IsSuccess)
                return Result<Guid>.From(allowed);
            warning = allowed.Value;
        }

        var payload = new TrainingJobPayload(null, baseModel.TrainerBase, options,
            new DatasetReference(dataset.Id, dataset.Kind, dataset.ArtifactPath, dataset.SplitPath));
        var name = string.IsNullOrWhiteSpace(request.Name) ? $"{dataset.Name} v{dataset.Version} · {baseModel.Name}" : request.Name.Trim();
        if (name.Length > 200)
            name = name[..200];
        var id = await queue.EnqueueAsync(connection, transaction,
            new JobSubmission(tenantId, JobKind, name, JsonSerializer.Serialize(payload, Json), CreatedBy: current.UserId),
            cancellationToken);
        if (warning is not null)
            await AddEventAsync(connection, transaction, tenantId, id, "quota", warning, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result<Guid>.Success(id);
    }

    /// <summary>Jobs run where a worker claims them; while a GPU worker is alive, that is where to expect it.</summary>
    private static async Task<string> LikelyDeviceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM workers
                           WHERE device_kind = 'cuda' AND stopped_at IS NULL AND heartbeat_at > now() - interval '2 minutes')
            """, connection, transaction);
        return await command.ExecuteScalarAsync(cancellationToken) is true ? "cuda" : "cpu";
    }

    private static async Task AddEventAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid jobId,
        string type, string message, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO job_events (tenant_id, job_id, type, message) VALUES ($1, $2, $3, $4)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = message.Length > 2000 ? message[..2000] : message });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<int> LockLimitsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        CancellationToken cancellationToken)
    {
        // The no-op update takes the row lock whether the row was there or not, in one statement.
        await using var command = new NpgsqlCommand("""
            INSERT INTO tenant_job_limits (tenant_id) VALUES ($1)
            ON CONFLICT (tenant_id) DO UPDATE SET max_active = tenant_job_limits.max_active
            RETURNING max_active
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    }

    private static async Task<(bool Suspended, string? Reason)?> ReadTenantAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, Guid tenantId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT status, suspension_reason FROM tenants WHERE id = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return (reader.GetString(0) == "Suspended", reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    private static async Task<int> CountActiveAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND state IN ('Queued', 'Running')", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    }

    private static async Task<DatasetRow?> ReadDatasetAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Guid tenantId, Guid datasetId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT id, name, version, kind, artifact_path, train_count, split_path FROM datasets WHERE tenant_id = $1 AND id = $2", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = datasetId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new DatasetRow(reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5),
                reader.IsDBNull(6) ? "" : reader.GetString(6))
            : null;
    }

    private sealed record DatasetRow(Guid Id, string Name, int Version, string Kind, string ArtifactPath, int TrainCount, string SplitPath);
}
