using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Jobs.Workers;
using Platform.Training.Metrics;
using Platform.Training.Training;

namespace Platform.Jobs.Training;

/// <summary>
/// Runs a fine-tuning job with the trainer of Platform.Training. Checkpoints go to the job's folder,
/// so an attempt after a lost lease (or a graceful release) resumes where the last one saved.
/// The trainer runs on its own thread; its callbacks only post to a channel that a pump drains to
/// the database, so a slow database never stalls a training step.
/// </summary>
internal sealed class TrainingJobHandler(
    IOptions<TrainingJobOptions> options,
    IOptions<WorkerOptions> worker,
    DatasetMaterializer materializer,
    LossCurveRecorder lossCurve,
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
            // Each slot gets its share of the cores: every slot training with all of them oversubscribes the machine.
            Threads = payload.Options.Threads ?? TrainingOptions.ThreadsFor(worker.Value.Slots),
        };
        var data = payload.Dataset is { } dataset
            ? await materializer.MaterializeAsync(context.Job.TenantId, dataset, folder, context.Cancellation)
            : new MaterializedDataset(payload.DataPath ?? throw new InvalidOperationException("The job names no data."), null);
        var request = new TrainingRequest(data.DataPath, payload.BaseModel, Path.Combine(folder, "model"),
            trainingOptions, Path.Combine(folder, "checkpoints"), data.Split);

        var reports = Channel.CreateUnbounded<Report>(new UnboundedChannelOptions { SingleReader = true });
        var pump = PumpAsync(context, reports.Reader);
        var lastProgress = DateTime.MinValue;
        var lossWindow = new LossWindow();
        TrainingProgress? unreported = null;
        void Post(TrainingProgress p)
        {
            unreported = null;
            lastProgress = DateTime.UtcNow;
            reports.Writer.TryWrite(new Report(JsonSerializer.Serialize(new
            {
                step = p.Step,
                totalSteps = p.TotalSteps,
                epoch = p.Epoch,
                epochs = p.Epochs,
                loss = p.Loss,
                learningRate = p.LearningRate,
                samplesPerSecond = p.SamplesPerSecond,
                etaSeconds = p.EstimatedRemaining.TotalSeconds,
            }, Json), null, null, null, lossWindow.Take(p.Step, p.TotalSteps, p.LearningRate)));
        }

        var callbacks = new TrainingCallbacks
        {
            Progress = p =>
            {
                // Progress and one loss point per report, no event row: the log keeps epochs, checkpoints
                // and messages. Every step would flood the database; the step before an epoch's end and
                // the run's last step always go through (a run that stops early never reaches TotalSteps).
                lossWindow.Add(p.Loss);
                unreported = p;
                if (DateTime.UtcNow - lastProgress >= settings.ReportEvery || p.Step == p.TotalSteps)
                    Post(p);
            },
            EpochCompleted = e =>
            {
                if (unreported is { } pending)
                    Post(pending);
                reports.Writer.TryWrite(new Report(null, "epoch",
                $"Epoch {e.Epoch}: train loss {e.TrainLoss:F4}" +
                    (e.ValidationAccuracy is { } acc ? $", validation accuracy {acc:P1}" : ""),
                    JsonSerializer.Serialize(e)));
            },
            CheckpointSaved = path => reports.Writer.TryWrite(new Report(null, "checkpoint", "Checkpoint saved", null)),
            Log = message => reports.Writer.TryWrite(new Report(null, "log", message, null)),
        };

        try
        {
            var (result, baseline) = await Task.Factory.StartNew(() =>
            {
                // Text jobs fit the linear baseline first (seconds), on the same split: the log shows the
                // line to beat while the model trains. A resumed attempt fits it again, to the same weights.
                var line = JobBaseline.IsText(request) ? JobBaseline.Fit(request, callbacks.Log!, context.Cancellation) : null;
                if (line is not null)
                    reports.Writer.TryWrite(new Report(null, "baseline", JobBaseline.Message(line), JsonSerializer.Serialize(BaselineSummary.From(line), Json)));
                var trained = Trainer.Train(request, callbacks, context.Cancellation);
                return (trained, JobBaseline.EnsureSaved(request, line, context.Cancellation));
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (unreported is { } last)
                Post(last);
            var evaluation = result.Metrics.Evaluation;
            var assessment = ResultAssessment.Assess(evaluation, baseline?.Metrics.Evaluation, ClassifierModel.DetectKind(result.ModelDirectory));
            var finished = $"Finished: accuracy {evaluation.Accuracy:P1}, macro-F1 {evaluation.MacroF1:F3} on the {result.Metrics.Split} split" +
                (result.Metrics.SelectedEpoch is { } selected ? $" (the weights of epoch {selected}, the best of {result.EpochsCompleted})" : "");
            // A result at chance or below its baseline is not reported as a plain success.
            reports.Writer.TryWrite(assessment.Warning
                ? new Report(null, "warning", $"{finished}. {assessment.Summary} {string.Join(" ", assessment.Warnings.Select(w => w.Message))}",
                    JsonSerializer.Serialize(assessment, Json))
                : new Report(null, "metrics", finished, null));
            return JsonSerializer.Serialize(new
            {
                modelDirectory = result.ModelDirectory,
                accuracy = evaluation.Accuracy,
                macroF1 = evaluation.MacroF1,
                steps = result.Steps,
                epochs = result.EpochsCompleted,
                stoppedEarly = result.StoppedEarly,
                selectedEpoch = result.Metrics.SelectedEpoch,
                resumed = result.Resumed,
                baseline = baseline is null ? null : BaselineSummary.From(baseline),
                assessment,
            }, Json);
        }
        finally
        {
            reports.Writer.TryComplete();
            await pump;
        }
    }

    private async Task PumpAsync(JobContext context, ChannelReader<Report> reader)
    {
        await foreach (var report in reader.ReadAllAsync())
        {
            try
            {
                await context.ReportAsync(report.ProgressJson, report.EventType, report.Message, report.DataJson);
                if (report.LossPoint is { } point)
                    await lossCurve.RecordAsync(context.Job, point);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                // Progress is best effort: training goes on while the database is unreachable.
                logger.LogWarning("Progress of job {JobId} not recorded ({Message})", context.Job.JobId, ex.Message);
            }
        }
    }

    private sealed record Report(string? ProgressJson, string? EventType, string? Message, string? DataJson,
        LossPoint? LossPoint = null);
}
