using System.Text.Json;
using Npgsql;
using Platform.Domain.Common;
using Platform.Domain.Usage;
using Platform.Jobs.Catalog;
using Platform.Jobs.Pretraining;
using Platform.Jobs.Queue;
using Platform.Jobs.Training;
using Platform.Training.Pretraining;

namespace Platform.Jobs.Launch;

/// <summary>
/// Launches a masked-LM pre-training job for the current tenant on an unlabelled corpus (or the texts
/// of a labelled text dataset), from scratch or continuing from a catalog BERT. The result's name is
/// checked against the tenant's catalog now, so a job does not run for hours towards a name it cannot
/// have. Same admission as every launch (suspension, active-job cap, quota), in the same transaction.
/// </summary>
public sealed class LaunchPretrainingCommand(
    NpgsqlDataSource dataSource,
    JobQueue queue,
    BaseModelCatalog catalog,
    ICurrentTenant current,
    ILaunchQuota? quota = null)
{
    public const string JobKind = PretrainingJobHandler.JobKind;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<Result<Guid>> ExecuteAsync(LaunchPretrainingRequest request, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result<Guid>.Forbidden("Choose an organisation first.");
        if (!PretrainingPlan.IsKnownPreset(request.Preset))
            return Result<Guid>.BadRequest($"Unknown preset '{request.Preset}' (fast, balanced or best).");
        if (request.BaseModel is null && !PretrainingSizes.IsKnown(request.Size))
            return Result<Guid>.BadRequest($"Unknown model size '{request.Size}' (mini, small or medium).");
        if (request is { Epochs: < 1 or > 200 } or { BatchSize: < 1 or > 1024 } or { LearningRate: <= 0 or > 1 }
            or { MaxSequenceLength: < 16 or > 512 } or { VocabularySize: < 100 or > 100_000 })
        {
            return Result<Guid>.BadRequest("Epochs must be 1-200, batch size 1-1024, learning rate in (0, 1], max length 16-512, vocabulary 100-100,000.");
        }
        var resultName = request.ResultName?.Trim() ?? "";
        if (BaseModelCatalog.CheckName(resultName) is { } invalidName)
            return Result<Guid>.BadRequest(invalidName);
        if (await catalog.NameTakenAsync(tenantId, resultName, cancellationToken) is { } taken)
            return Result<Guid>.Conflict(taken);
        BaseModel? baseModel = null;
        if (request.BaseModel is { Length: > 0 } baseName)
        {
            baseModel = await catalog.FindAsync(tenantId, baseName, cancellationToken);
            if (baseModel is null)
                return Result<Guid>.BadRequest($"Unknown base model '{baseName}'.");
            if (!baseModel.IsBert || baseModel.Architecture is not (null or "bert"))
                return Result<Guid>.BadRequest($"'{baseName}' is a {baseModel.ArchitectureName}: pre-training continues a BERT-family model.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var admitted = await LaunchChecks.AdmitAsync(connection, transaction, tenantId, current.UserId, cancellationToken);
        if (!admitted.IsSuccess)
            return Result<Guid>.From(admitted);
        var dataset = await LaunchChecks.ReadDatasetAsync(connection, transaction, tenantId, request.DatasetId, cancellationToken);
        if (dataset is null)
            return Result<Guid>.NotFound("Dataset not found.");
        if (dataset.Kind is not ("Corpus" or "Text"))
            return Result<Guid>.BadRequest("Pre-training reads text: choose an unlabelled text dataset or a text dataset.");

        var plan = PretrainingPlan.For(request, baseModel, request.Size, (long)(dataset.MeanLength * dataset.TrainCount));
        var deviceKind = await LaunchChecks.LikelyDeviceAsync(connection, transaction, cancellationToken);
        string? warning = null;
        if (quota is not null)
        {
            var allowed = await quota.CheckAsync(deviceKind, plan.Estimate(deviceKind).Hours, cancellationToken);
            if (!allowed.IsSuccess)
                return Result<Guid>.From(allowed);
            warning = allowed.Value;
        }

        var start = baseModel is null ? $"a {request.Size} BERT from scratch" : baseModel.Name;
        var payload = new PretrainingJobPayload(
            new DatasetReference(dataset.Id, dataset.Kind, dataset.ArtifactPath, dataset.SplitPath),
            baseModel?.Path, baseModel?.Name, request.Size, plan.Options, resultName,
            $"Pre-trained on {dataset.Name} v{dataset.Version} ({dataset.TrainCount:N0} documents) from {start}.", baseModel?.Stored);
        var name = $"Pre-train {resultName} · {dataset.Name} v{dataset.Version}";
        var id = await queue.EnqueueAsync(connection, transaction,
            new JobSubmission(tenantId, JobKind, DisplayName.Clean(name, LaunchJobCommand.NameMaxLength), JsonSerializer.Serialize(payload, Json), CreatedBy: current.UserId),
            cancellationToken);
        if (warning is not null)
            await LaunchChecks.AddEventAsync(connection, transaction, tenantId, id, "quota", warning, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result<Guid>.Success(id);
    }
}
