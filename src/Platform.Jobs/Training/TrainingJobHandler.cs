using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Jobs.Workers;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>
/// Runs a fine-tuning job with the trainer of Platform.Training. The trainer works on the worker's
/// disk; checkpoints are published to the artifact store under the run's fencing token
/// (<see cref="RunStorage"/>), so a run after a lost lease, an outage or a graceful release resumes
/// exactly where the last published checkpoint stands. The trainer runs on its own thread; its
/// callbacks only post to a <see cref="JobProgressReporter"/>, so a slow database never stalls a step.
/// </summary>
internal sealed class TrainingJobHandler(
    IOptions<TrainingJobOptions> options,
    DatasetMaterializer materializer,
    Platform.Data.Artifacts.StoredFolders storedFolders,
    Platform.Jobs.Catalog.BaseModelFiles baseModels,
    ILogger<TrainingJobHandler> logger) : IJobHandler
{
    public const string JobKind = "train";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => JobKind;

    public async Task<string?> RunAsync(JobContext context)
    {
        var payload = JsonSerializer.Deserialize<TrainingJobPayload>(context.Job.PayloadJson, Json)
            ?? throw new InvalidOperationException("The job has no training settings.");
        var settings = options.Value;
        var folder = TrainingJobOptions.JobDirectory(settings.WorkDirectory, context.Job.TenantId, context.Job.JobId);
        var trainingOptions = payload.Options with
        {
            CheckpointEverySteps = payload.Options.CheckpointEverySteps > 0 ? payload.Options.CheckpointEverySteps : settings.CheckpointEverySteps,
            // Each slot gets its share of the cores (every slot training with all of them oversubscribes the
            // machine) and its own GPU where the worker has several.
            Threads = payload.Options.Threads ?? context.Slot.Threads,
            Device = context.Slot.DeviceFor(payload.Options.Device),
        };
        var (storage, _) = await RunStorage.PrepareAsync(context, storedFolders, folder, logger);
        // The run's own copy of the data, on the worker's disk, removed with the run's local folder.
        var data = payload.Dataset is { } dataset
            ? await materializer.MaterializeAsync(context.Job.TenantId, dataset, context.LocalDirectory, context.Cancellation)
            : new MaterializedDataset(payload.DataPath ?? throw new InvalidOperationException("The job names no data."), null);
        // A stored base model is fetched (decrypted) into this worker's cache; presets and older plain folders are used as named.
        var baseModel = payload.StoredBaseModel is { } stored ? await baseModels.LocalFolderAsync(stored, context.Cancellation) : payload.BaseModel;
        var request = new TrainingRequest(data.DataPath, baseModel, storage.LocalModel,
            trainingOptions, storage.LocalCheckpoints, data.Split, context.Distributed);

        var reporter = new JobProgressReporter(context, settings.ReportEvery);
        var callbacks = new TrainingCallbacks
        {
            Progress = p => reporter.Step(new StepReport(p.Step, p.TotalSteps, p.Epoch, p.Epochs, p.Loss, p.LearningRate,
                p.SamplesPerSecond, p.EstimatedRemaining)),
            EpochCompleted = e => reporter.Event("epoch",
                $"Epoch {e.Epoch}: train loss {e.TrainLoss:F4}" + (e.ValidationAccuracy is { } acc ? $", validation accuracy {acc:P1}" : ""),
                JsonSerializer.Serialize(e), flushStep: true),
            CheckpointSaved = saved => reporter.Event("checkpoint", CheckpointMessage(storage, saved)),
            Log = message => reporter.Event("log", message),
        };

        try
        {
            var (trained, baseline) = await Task.Factory.StartNew(() =>
            {
                // Text jobs fit the linear baseline first (seconds), on the same split: the log shows the
                // line to beat while the model trains. A resumed attempt fits it again, to the same weights.
                var line = JobBaseline.IsText(request) ? JobBaseline.Fit(request, callbacks.Log!, context.Cancellation) : null;
                if (line is not null)
                    reporter.Event("baseline", JobBaseline.Message(line), JsonSerializer.Serialize(BaselineSummary.From(line), Json));
                var model = Trainer.Train(request, callbacks, context.Cancellation);
                return (model, JobBaseline.EnsureSaved(request, line, context.Cancellation));
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            reporter.Flush();
            // A gang's other ranks hold the same weights as rank 0, which alone publishes them and the result.
            if (context.Job.Rank > 0)
                return null;
            var modelFolder = await storage.PublishModelAsync(trained.ModelDirectory, settings.PublishPatience, context.Cancellation);
            var result = trained;
            var evaluation = result.Metrics.Evaluation;
            var assessment = ResultAssessment.Assess(evaluation, baseline?.Metrics.Evaluation, ClassifierModel.DetectKind(result.ModelDirectory));
            var finished = $"Finished: accuracy {evaluation.Accuracy:P1}, macro-F1 {evaluation.MacroF1:F3} on the {result.Metrics.Split} split" +
                (result.Metrics.SelectedEpoch is { } selected ? $" (the weights of epoch {selected}, the best of {result.EpochsCompleted})" : "");
            // A result at chance or below its baseline is not reported as a plain success.
            if (assessment.Warning)
                reporter.Event("warning", $"{finished}. {assessment.Summary} {string.Join(" ", assessment.Warnings.Select(w => w.Message))}",
                    JsonSerializer.Serialize(assessment, Json));
            else
                reporter.Event("metrics", finished);
            return new JobResult
            {
                ModelFolder = modelFolder,
                Accuracy = evaluation.Accuracy,
                MacroF1 = evaluation.MacroF1,
                Steps = result.Steps,
                Epochs = result.EpochsCompleted,
                StoppedEarly = result.StoppedEarly,
                SelectedEpoch = result.Metrics.SelectedEpoch,
                Resumed = result.Resumed,
                Baseline = baseline is null ? null : BaselineSummary.From(baseline),
                Assessment = assessment,
            }.ToJson();
        }
        finally
        {
            reporter.Flush();
        }
    }

    /// <summary>Publishes the checkpoint (or keeps it on the worker) and says which happened.</summary>
    internal static string CheckpointMessage(RunStorage storage, string saved)
    {
        var step = storage.OnCheckpointSaved(saved);
        return storage.IsPublished(step)
            ? $"Checkpoint saved at step {step}"
            : $"Checkpoint saved at step {step} on the worker; published once the run's ownership is confirmed";
    }
}
