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
    ILaunchQuota? quota = null,
    TimeProvider? time = null)
{
    public const string JobKind = TrainingJobHandler.JobKind;
    public const int NameMaxLength = 200;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<Result<Guid>> ExecuteAsync(LaunchJobRequest request, CancellationToken cancellationToken = default)
    {
        if (current.TenantId is not { } tenantId)
            return Result<Guid>.Forbidden("Choose an organisation first.");
        if (TrainingPreset.Find(request.Preset) is null)
            return Result<Guid>.BadRequest($"Unknown preset '{request.Preset}' (fast, balanced or best).");
        if (request is { Epochs: < 1 or > 100 } or { BatchSize: < 1 or > 1024 } or { LearningRate: <= 0 or > 1 } or { MaxSequenceLength: < 8 or > 512 })
            return Result<Guid>.BadRequest("Epochs must be 1-100, batch size 1-1024, learning rate in (0, 1], max length 8-512.");
        if (request.Devices is < 1 or > LaunchPlan.MaxDevices)
            return Result<Guid>.BadRequest($"Devices must be 1-{LaunchPlan.MaxDevices}.");
        // A name that is too long is refused rather than cut: the job list would show another name than the one given.
        if (!string.IsNullOrWhiteSpace(request.Name) && DisplayName.Check(request.Name, "The job name", NameMaxLength) is { } badName)
            return Result<Guid>.BadRequest(badName);
        // Another tenant's private model is not found, exactly like a name that does not exist.
        var baseModel = await catalog.FindAsync(tenantId, request.BaseModel, cancellationToken);
        if (baseModel is null)
            return Result<Guid>.BadRequest($"Unknown base model '{request.BaseModel}'.");

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var admitted = await LaunchChecks.AdmitAsync(connection, transaction, tenantId, current.UserId, cancellationToken, request.Devices);
        if (!admitted.IsSuccess)
            return Result<Guid>.From(admitted);

        var dataset = await LaunchChecks.ReadDatasetAsync(connection, transaction, tenantId, request.DatasetId, cancellationToken);
        if (dataset is null)
            return Result<Guid>.NotFound("Dataset not found.");
        if (dataset.Kind == "Corpus")
            return Result<Guid>.BadRequest("This dataset is unlabelled text: it can pre-train a text model, not train a classifier.");
        if (dataset.Kind != baseModel.DatasetKind)
        {
            return Result<Guid>.BadRequest(dataset.Kind switch
            {
                "Text" => "A text dataset trains a BERT classifier: choose a BERT base model.",
                "Tabular" => $"A tabular dataset trains the {TabularClassifier.Preset} model: choose it.",
                _ => "An image dataset trains a CNN: choose a CNN preset.",
            });
        }

        var plan = LaunchPlan.For(baseModel, request, dataset.TrainCount);
        // A table's target is the dataset's: the job carries it so the worker needs no lookup.
        var options = dataset.Kind == "Tabular" && dataset.LabelColumn is { } target
            ? plan.Options with { TabularColumns = new Platform.Training.Tabular.TabularColumns(target) }
            : plan.Options;
        var deviceKind = await LaunchChecks.LikelyDeviceAsync(connection, transaction, cancellationToken);
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
            new DatasetReference(dataset.Id, dataset.Kind, dataset.ArtifactPath, dataset.SplitPath), baseModel.Name, baseModel.Stored);
        var name = string.IsNullOrWhiteSpace(request.Name)
            ? DisplayName.Clean(DefaultName(baseModel.Name, plan.Options.Preset ?? request.Preset, dataset.Name, dataset.Version,
                (time ?? TimeProvider.System).GetUtcNow()), NameMaxLength)
            : request.Name.Trim();
        var id = await queue.EnqueueAsync(connection, transaction,
            new JobSubmission(tenantId, JobKind, name, JsonSerializer.Serialize(payload, Json), CreatedBy: current.UserId, Devices: request.Devices),
            cancellationToken);
        if (warning is not null)
            await LaunchChecks.AddEventAsync(connection, transaction, tenantId, id, "quota", warning, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result<Guid>.Success(id);
    }

    /// <summary>
    /// What a job is called unless the user names it: base model, preset, dataset and the launch time (UTC,
    /// to the second), so runs of one dataset read apart in a list and in a comparison.
    /// </summary>
    public static string DefaultName(string baseModel, string preset, string dataset, int version, DateTimeOffset at) =>
        $"{baseModel} · {preset} · {dataset} v{version} · {at.UtcDateTime:yyyy-MM-dd HH:mm:ss}";
}
