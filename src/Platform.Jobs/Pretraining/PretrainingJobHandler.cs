using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Domain.Common;
using Platform.Jobs.Catalog;
using Platform.Jobs.Training;
using Platform.Jobs.Workers;
using Platform.Training.Pretraining;
using Platform.Training.Training;

namespace Platform.Jobs.Pretraining;

/// <summary>
/// Runs a masked-LM pre-training job and adds its result to the tenant's private catalog, where the
/// launch form offers it for fine-tuning. Checkpoints are published like a training job's
/// (<see cref="RunStorage"/>), so a run after a lost lease or an outage resumes where the last
/// published one stands; a registration already made by an earlier run (found by its source,
/// pretrain:job id) is not made twice.
/// </summary>
internal sealed class PretrainingJobHandler(
    IOptions<TrainingJobOptions> options,
    DatasetMaterializer materializer,
    Platform.Data.Artifacts.StoredFolders storedFolders,
    BaseModelCatalog catalog,
    BaseModelFiles baseModels,
    ILogger<PretrainingJobHandler> logger) : IJobHandler
{
    public const string JobKind = "pretrain";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => JobKind;

    public async Task<string?> RunAsync(JobContext context)
    {
        var job = context.Job;
        var payload = JsonSerializer.Deserialize<PretrainingJobPayload>(job.PayloadJson, Json)
            ?? throw new InvalidOperationException("The job has no pre-training settings.");
        var settings = options.Value;
        var folder = TrainingJobOptions.JobDirectory(settings.WorkDirectory, job.TenantId, job.JobId);
        var source = $"pretrain:{job.JobId}";
        if (await FindRegisteredAsync(job.TenantId, source, context.Cancellation) is { } done)
            return Result(done, null);

        var (storage, _) = await RunStorage.PrepareAsync(context, storedFolders, folder, logger);
        // The run's own copy of the data, on the worker's disk, removed with the run's local folder.
        var data = await materializer.MaterializeAsync(job.TenantId, payload.Dataset, context.LocalDirectory, context.Cancellation);
        var pretrainingOptions = payload.Options with
        {
            CheckpointEverySteps = payload.Options.CheckpointEverySteps > 0 ? payload.Options.CheckpointEverySteps : settings.CheckpointEverySteps,
            Threads = payload.Options.Threads ?? context.Slot.Threads,
            Device = context.Slot.DeviceFor(payload.Options.Device),
        };
        var baseModel = payload.StoredBaseModel is { } stored ? await baseModels.LocalFolderAsync(stored, context.Cancellation) : payload.BaseModelPath;
        var request = new PretrainingRequest(data.DataPath, storage.LocalModel, pretrainingOptions,
            BaseModel: baseModel,
            Config: baseModel is null ? PretrainingSizes.Config(payload.Size) : null,
            CheckpointDirectory: storage.LocalCheckpoints,
            Split: data.Split);

        var reporter = new JobProgressReporter(context, settings.ReportEvery);
        double? heldOutPerplexity = null;
        var callbacks = new PretrainingCallbacks
        {
            Progress = p =>
            {
                heldOutPerplexity = p.ValidationPerplexity ?? heldOutPerplexity;
                reporter.Step(new StepReport(p.Step, p.TotalSteps, p.Epoch, p.Epochs, p.Loss, p.LearningRate, p.SequencesPerSecond,
                    p.EstimatedRemaining, heldOutPerplexity));
            },
            // The job page plots epochs from these fields: the held-out masked-LM loss as the validation loss,
            // its perplexity on its own chart, and the share of masked tokens guessed as the "accuracy".
            EpochCompleted = e => reporter.Event("epoch", EpochMessage(e), JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["epoch"] = e.Epoch,
                ["train_loss"] = e.TrainLoss,
                ["validation_loss"] = e.ValidationLoss,
                ["validation_accuracy"] = e.ValidationMaskedAccuracy,
                ["validation_perplexity"] = e.ValidationPerplexity,
                ["train_perplexity"] = e.TrainPerplexity,
                ["seconds"] = e.Seconds,
            }), flushStep: true),
            CheckpointSaved = saved => reporter.Event("checkpoint", TrainingJobHandler.CheckpointMessage(storage, saved)),
            Log = message => reporter.Event("log", message),
        };

        try
        {
            var result = await Task.Factory.StartNew(
                () => Pretrainer.Train(request, callbacks, context.Cancellation),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            reporter.Flush();
            // The catalog stores the folder in the tenant's artifact store; a run that lost its job registers nothing.
            if (!context.HoldsLease)
                throw new Platform.Jobs.Queue.LeaseLostException(job.JobId);
            var registered = await RegisterAsync(job.TenantId, payload, result.ModelDirectory, source, context.Cancellation);
            var final = result.FinalEvaluation;
            reporter.Event("metrics", $"Finished: held-out perplexity {Format(final?.Perplexity)}, masked tokens guessed {final?.MaskedAccuracy:P1}. " +
                $"'{registered.Name}' is in your base models.");
            return Result(registered, result);
        }
        finally
        {
            reporter.Flush();
        }
    }

    /// <summary>
    /// Adds the folder to the tenant's catalog under the name asked for at launch; if that name was
    /// taken meanwhile, under the name with the job's short id, so hours of training are never lost to a name.
    /// </summary>
    private async Task<BaseModel> RegisterAsync(Guid tenantId, PretrainingJobPayload payload, string folder, string source,
        CancellationToken cancellationToken)
    {
        var jobId = source["pretrain:".Length..];
        foreach (var name in new[] { payload.ResultName, $"{payload.ResultName}-{jobId[..8]}" })
        {
            var registered = await catalog.RegisterTextModelFolderAsync(
                new TextModelRegistration(tenantId, name, folder, payload.Description, source), cancellationToken);
            if (registered.IsSuccess)
                return registered.Value;
            if (registered.Status != ResultStatus.Conflict)
                throw new InvalidOperationException($"The pre-trained model could not be added to the catalog: {registered.Error}");
        }

        throw new InvalidOperationException($"The names '{payload.ResultName}' and '{payload.ResultName}-{jobId[..8]}' are both taken in the catalog.");
    }

    private async Task<BaseModel?> FindRegisteredAsync(Guid tenantId, string source, CancellationToken cancellationToken) =>
        (await catalog.ListAsync(tenantId, cancellationToken)).FirstOrDefault(m => m.TenantId == tenantId && m.Source == source);

    private static string Result(BaseModel model, PretrainingResult? result) => JsonSerializer.Serialize(new
    {
        baseModel = model.Name,
        baseModelId = model.Id,
        parameters = model.Parameters,
        perplexity = result?.FinalEvaluation?.Perplexity,
        maskedAccuracy = result?.FinalEvaluation?.MaskedAccuracy,
        steps = result?.Steps,
        epochs = result?.EpochsCompleted,
        documents = result?.Corpus.Documents,
        trainTokens = result?.Corpus.TrainTokens,
        vocabularyTrained = result?.VocabularyTrained,
        resumed = result?.Resumed,
    }, Json);

    private static string EpochMessage(PretrainingEpochRecord e) =>
        $"Epoch {e.Epoch}: train loss {e.TrainLoss:F4} (perplexity {Format(e.TrainPerplexity)})" +
        (e.ValidationPerplexity is { } ppl ? $", held-out perplexity {Format(ppl)}, masked tokens guessed {e.ValidationMaskedAccuracy:P1}" : "");

    private static string Format(double? perplexity) =>
        perplexity is { } p && double.IsFinite(p) ? p.ToString(p < 100 ? "0.00" : "N0", CultureInfo.InvariantCulture) : "—";
}
