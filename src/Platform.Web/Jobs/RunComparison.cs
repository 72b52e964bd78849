using System.Globalization;
using Platform.Data.Datasets;
using Platform.Jobs.Models;
using Platform.Jobs.Portal;
using Platform.Training.Metrics;
using Platform.Web.Api;

namespace Platform.Web.Jobs;

/// <summary>What a run trained with, read from its payload (the tenant's choices, never a server path).</summary>
public sealed record RunSettings(Guid? DatasetId, string? BaseModel, HyperparametersDto? Hyper, long? Seed)
{
    public static RunSettings Of(JobView job)
    {
        var (datasetId, baseModel, hyper, seed) = JobDto.ReadPayload(job.PayloadJson);
        return new RunSettings(datasetId, baseModel, hyper, seed);
    }

    /// <summary>
    /// The launch form filled in with this run's settings (dataset, base model, preset and the resolved
    /// epochs, batch size, learning rate and maximum length); null for a run the form cannot launch
    /// (pre-training, or a payload without a dataset or base model). The name is left blank: the new
    /// job gets its own default name.
    /// </summary>
    public string? CloneUrl(JobView job)
    {
        if (job.Kind != LaunchKind || DatasetId is not { } dataset || BaseModel is not { } model)
            return null;
        var query = new List<string> { $"Input.DatasetId={dataset}", $"Input.BaseModel={Uri.EscapeDataString(model)}" };
        if (Hyper?.Preset is { } preset)
            query.Add($"Input.Preset={Uri.EscapeDataString(preset)}");
        if (Hyper?.Epochs is { } epochs)
            query.Add($"Input.Epochs={epochs}");
        if (Hyper?.BatchSize is { } batch)
            query.Add($"Input.BatchSize={batch}");
        if (Hyper?.LearningRate is { } rate)
            query.Add($"Input.LearningRate={rate.ToString("R", CultureInfo.InvariantCulture)}");
        if (Hyper?.MaxSequenceLength is { } length)
            query.Add($"Input.MaxLength={length}");
        return "/jobs/new?" + string.Join('&', query);
    }

    private const string LaunchKind = "train";
}

/// <summary>One run of a comparison: the job, its settings and curves, and its per-class scores once it has a model.</summary>
public sealed record ComparedRun(JobView Job, RunSettings Settings, string? DatasetName, IReadOnlyList<EpochPoint> Epochs,
    IReadOnlyList<LossPointView> LossCurve, ClassificationMetrics? Evaluation)
{
    /// <summary>Training progress in epochs at a loss point, so runs with different batch sizes share an axis.</summary>
    public double EpochAt(LossPointView point) =>
        Settings.Hyper?.Epochs is { } epochs && point.TotalSteps > 0 ? (double)point.Step / point.TotalSteps * epochs : point.Step;

    public double? Accuracy => Evaluation?.Accuracy ?? Platform.Jobs.Training.JobResult.Parse(Job.ResultJson)?.Accuracy;
    public double? MacroF1 => Evaluation?.MacroF1 ?? Platform.Jobs.Training.JobResult.Parse(Job.ResultJson)?.MacroF1;

    public TimeSpan? Duration => Job.StartedAt is { } start ? (Job.FinishedAt ?? DateTimeOffset.UtcNow) - start : null;
}

/// <summary>Loads 2-4 of the current tenant's runs for the comparison page; another tenant's id is not found.</summary>
public sealed class RunComparisonQuery(JobQueries jobs, ModelQueries models, GetDatasetQuery datasets)
{
    public const int MinRuns = 2;
    public const int MaxRuns = 4;

    /// <summary>The runs in the order asked, without repeats and ids not found; null when more than <see cref="MaxRuns"/> were asked.</summary>
    public async Task<IReadOnlyList<ComparedRun>?> ExecuteAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        var distinct = ids.Distinct().ToList();
        if (distinct.Count > MaxRuns)
            return null;
        var runs = new List<ComparedRun>();
        var datasetNames = new Dictionary<Guid, string?>();
        foreach (var id in distinct)
        {
            if (await jobs.GetAsync(id, cancellationToken) is not { } job)
                continue;
            var settings = RunSettings.Of(job);
            string? datasetName = null;
            if (settings.DatasetId is { } datasetId && !datasetNames.TryGetValue(datasetId, out datasetName))
            {
                var dataset = await datasets.ExecuteAsync(datasetId, cancellationToken);
                datasetName = dataset.IsSuccess ? $"{dataset.Value.Name} v{dataset.Value.Version}" : null;
                datasetNames[datasetId] = datasetName;
            }
            var events = await jobs.EventsAsync(id, 0, 5000, cancellationToken);
            var loss = await jobs.LossCurveAsync(id, 200, cancellationToken);
            var model = job is { State: "Succeeded", Kind: "train" } ? await models.GetAsync(id, cancellationToken) : null;
            var epochs = EpochPoint.From(events);
            // A model's metrics.json keeps the per-epoch history even where the event log was trimmed.
            if (epochs.Count == 0 && model is not null)
                epochs = model.Metrics.History.Select(h => new EpochPoint(h.Epoch, h.TrainLoss, h.ValidationLoss, h.ValidationAccuracy)).ToList();
            runs.Add(new ComparedRun(job, settings, datasetName, epochs, loss, model?.Metrics.Evaluation));
        }
        return runs;
    }
}
