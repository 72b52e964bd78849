using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Data.ApiKeys;
using Platform.Data.Datasets;
using Platform.Domain.Datasets;
using Platform.Jobs.Catalog;
using Platform.Jobs.Catalog.Imports;
using Platform.Jobs.Portal;
using Platform.Jobs.Training;
using Platform.Web.Jobs;
using Platform.Domain.Jobs;

namespace Platform.Web.Api;

/// <summary>text (CSV text,label), image (ZIP of label folders) or corpus (unlabelled text for pre-training); more kinds may come.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DatasetKindDto>))]
public enum DatasetKindDto
{
    [JsonStringEnumMemberName("text")] Text,
    [JsonStringEnumMemberName("image")] Image,
    [JsonStringEnumMemberName("corpus")] Corpus,
    [JsonStringEnumMemberName("tabular")] Tabular,
}

public sealed record DatasetDto(Guid Id, string Name, int Version, DatasetKindDto Kind, int Rows, int Classes, long SizeBytes, int Warnings, DateTimeOffset CreatedAt)
{
    public static DatasetDto From(DatasetSummary d) =>
        new(d.Id, d.Name, d.Version, KindOf(d.Kind), d.RowCount, d.ClassCount, d.SizeBytes, d.WarningCount, d.CreatedAt);

    public static DatasetKindDto KindOf(DatasetKind kind) => kind switch
    {
        DatasetKind.Image => DatasetKindDto.Image,
        DatasetKind.Corpus => DatasetKindDto.Corpus,
        DatasetKind.Tabular => DatasetKindDto.Tabular,
        _ => DatasetKindDto.Text,
    };
}

/// <summary>How the rows were split (fixed by the seed at upload): what a job trains on and what it is evaluated on.</summary>
public sealed record DatasetSplitDto(int Train, int Validation, int Seed);

/// <summary>One dataset version with its profile: examples per label, the split, the warnings found at upload.</summary>
public sealed record DatasetDetailDto(Guid Id, string Name, int Version, DatasetKindDto Kind, int Rows, int Classes, long SizeBytes,
    DateTimeOffset CreatedAt, IReadOnlyDictionary<string, int> LabelDistribution, DatasetSplitDto Split, string? TextColumn, string? LabelColumn,
    IReadOnlyList<string> Warnings)
{
    public static DatasetDetailDto From(Dataset d) => new(d.Id, d.Name, d.Version, DatasetDto.KindOf(d.Kind), d.RowCount, d.LabelCounts.Count,
        d.SizeBytes, d.CreatedAt, d.LabelCounts, new DatasetSplitDto(d.TrainCount, d.ValidationCount, d.SplitSeed), d.TextColumn, d.LabelColumn,
        d.Warnings);
}

/// <summary>Queued, Running, Succeeded, Failed or Cancelled (Queued → Running → one of the last three; Running → Queued after a lost worker).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobStateDto>))]
public enum JobStateDto
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// train (a classifier), pretrain (a masked-LM encoder that joins the base models) or batch-predict (a
/// trained model classifying an uploaded file).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobKindDto>))]
public enum JobKindDto
{
    [JsonStringEnumMemberName("train")] Train,
    [JsonStringEnumMemberName("pretrain")] Pretrain,
    [JsonStringEnumMemberName("batch-predict")] BatchPredict,
}

/// <summary>The API's job kinds: the same names the queue stores in jobs.kind.</summary>
internal static class JobKinds
{
    public static readonly IReadOnlyList<(string Name, JobKindDto Dto)> All =
    [
        (Platform.Jobs.Launch.LaunchJobCommand.JobKind, JobKindDto.Train),
        (Platform.Jobs.Launch.LaunchPretrainingCommand.JobKind, JobKindDto.Pretrain),
        (Platform.Jobs.Predictions.LaunchBatchPredictionCommand.JobKind, JobKindDto.BatchPredict),
    ];

    /// <summary>A stored kind as the API names it; a kind the API does not list (tests' no-op jobs) reads as train, as before.</summary>
    public static JobKindDto Of(string stored)
    {
        foreach (var (name, dto) in All)
        {
            if (name == stored)
                return dto;
        }
        return JobKindDto.Train;
    }
}

/// <summary>The settings the job trains with, resolved from the preset at launch (a resumed attempt uses exactly these).</summary>
public sealed record HyperparametersDto(string? Preset, int? Epochs, int? BatchSize, double? LearningRate, double? WeightDecay, double? WarmupFraction,
    int? MaxSequenceLength, int? EarlyStoppingPatience);

/// <summary>The newest progress report of a running job.</summary>
public sealed record JobProgressDto(long Step, long TotalSteps, int Epoch, int Epochs, double? Loss, double? SamplesPerSecond, double? EtaSeconds);

/// <summary>
/// A job. <c>modelId</c> is set once it succeeded (GET /models/{modelId}); <c>usageSeconds</c> is the device
/// time metered so far (on a job of several <c>devices</c>, every device's time); <c>queuePosition</c> (1 = next) only
/// while queued; <c>estimatedFinishAt</c> only while running.
/// </summary>
public sealed record JobDto(Guid Id, string Name, JobKindDto Kind, JobStateDto State, Guid? DatasetId, string? BaseModel,
    HyperparametersDto? Hyperparameters, long? Seed, string? Device, Guid? ModelId, int Attempt, int MaxAttempts, bool CancelRequested,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JobProgressDto? Progress, JobResult? Result, string? Error,
    int Interruptions, string? LastInterruption, double UsageSeconds, int? QueuePosition, DateTimeOffset? EstimatedFinishAt, int Devices)
{
    internal static JobDto From(ApiJobRow row, DateTimeOffset now)
    {
        var j = row.Job;
        var (datasetId, baseModel, hyper, seed) = ReadPayload(j.PayloadJson);
        var progress = JobProgress.Parse(j.ProgressJson) is { } p
            ? new JobProgressDto(p.Step, p.TotalSteps, p.Epoch, p.Epochs, p.Loss, p.SamplesPerSecond, p.EtaSeconds)
            : null;
        DateTimeOffset? finish = j.Status == JobState.Running && progress?.EtaSeconds is { } eta && eta >= 0 && eta < 1e8 ? now.AddSeconds(eta) : null;
        var succeeded = j.Status == JobState.Succeeded && j.Kind == "train";
        return new JobDto(j.Id, j.Name, JobKinds.Of(j.Kind), Enum.Parse<JobStateDto>(j.State),
            datasetId, baseModel, hyper, seed, row.Device, succeeded ? j.Id : null, j.Attempt, j.MaxAttempts, j.CancelRequested, j.CreatedAt,
            j.StartedAt, j.FinishedAt, progress, JobResult.Parse(j.ResultJson), j.Error, j.Interruptions, j.LastInterruption,
            Math.Round(row.UsageSeconds, 3), row.QueuePosition, finish, j.Devices);
    }

    // The payload is the worker's; the API shows the tenant's choices from it and never its server paths.
    internal static (Guid? DatasetId, string? BaseModel, HyperparametersDto? Hyper, long? Seed) ReadPayload(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            return (null, null, null, null);
        Guid? datasetId = root.TryGetProperty("dataset", out var dataset) && dataset.ValueKind == JsonValueKind.Object
            && dataset.TryGetProperty("id", out var id) && id.TryGetGuid(out var guid) ? guid : null;
        var baseModel = String(root, "baseModelName") ?? (String(root, "baseModel") is { } b && !b.Contains('/') ? b : null);
        if (!root.TryGetProperty("options", out var o) || o.ValueKind != JsonValueKind.Object)
            return (datasetId, baseModel, null, null);
        var hyper = new HyperparametersDto(String(o, "preset"), Int(o, "epochs"), Int(o, "batchSize"), Double(o, "learningRate"),
            Double(o, "weightDecay"), Double(o, "warmupFraction"), Int(o, "maxSequenceLength"), Int(o, "earlyStoppingPatience"));
        long? seed = o.TryGetProperty("seed", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var n) ? n : null;
        return (datasetId, baseModel, hyper, seed);
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;

    private static double? Double(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}

/// <summary>A checkpoint a run saved (the job resumes from the newest after a lost worker).</summary>
/// <param name="Published">Whether it reached the artifact store (a worker publishes a checkpoint once its claim on the job is confirmed).</param>
public sealed record CheckpointDto(long Step, DateTimeOffset At, bool Published, bool IsResumePoint, string Message);

/// <summary>A model: the output of a succeeded training job, under the job's id.</summary>
public sealed record ModelDto(Guid Id, Guid JobId, string Name, string Kind, string? BaseModel, Guid? DatasetId, double? Accuracy, double? MacroF1,
    bool HasBaseline, DateTimeOffset CreatedAt, string DownloadUrl);

/// <param name="Variant">"model" (default): the fine-tuned model; "baseline": the linear baseline a text job fits next to it.</param>
public sealed record PredictTextRequest(string? Text = null, string? Variant = null);

/// <summary>Several texts at once (at most <see cref="MaxInputs"/>): one prediction per input, in order.</summary>
public sealed record BatchPredictRequest(IReadOnlyList<string> Inputs, string? Variant = null)
{
    public const int MaxInputs = 64;
}

/// <param name="Variant">Which model answered: "model" or "baseline".</param>
public sealed record PredictionDto(string Label, IReadOnlyDictionary<string, double> Scores, string Variant = "model");

public sealed record BatchPredictionDto(IReadOnlyList<PredictionDto> Predictions);

/// <summary>A base model the organisation can launch from: its own (scope "organisation") or the platform's ("platform").</summary>
public sealed record BaseModelDto(string Name, string Kind, string Architecture, long Parameters, string Scope, string Source, string Description)
{
    public static BaseModelDto From(BaseModel m) => new(m.Name, m.IsBert ? "text" : m.IsTabular ? "tabular" : "image", m.IsBert ? m.Architecture ?? "bert" : m.Preset ?? "cnn",
        m.Parameters, m.IsPrivate ? "organisation" : "platform", m.Source, m.Description);
}

/// <summary>An import into the organisation's catalog: state queued, downloading, validating, done, failed or cancelled.</summary>
public sealed record BaseModelImportDto(Guid Id, string Name, string Source, string State, long BytesDone, long? BytesTotal, string? CurrentFile,
    string? CommitSha, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    public static BaseModelImportDto From(BaseModelImport i) => new(i.Id, i.Name, i.SourceText, i.State, i.BytesDone, i.BytesTotal, i.CurrentFile,
        i.CommitSha, i.Error, i.CreatedAt, i.FinishedAt);
}

public sealed record StartHubImportDto(string RepoId, string? Revision = null, string? Name = null, string? Description = null);

/// <summary>One serving option of a model; <see cref="CostPerThousand"/> is 1,000 predictions on one CPU core at the plan's CPU rate.</summary>
public sealed record ServingVariantDto(string Variant, long Bytes, double Accuracy, double MacroF1, double? MacroRocAuc, double LatencyMs, decimal? CostPerThousand);

/// <summary>What a model cost to train (metered device seconds at the plan's rates) and its serving options.</summary>
public sealed record ServingDto(long CpuSeconds, long GpuSeconds, string? Currency, decimal? TrainingCost, string? Split, int? Examples,
    IReadOnlyList<ServingVariantDto> Variants);

/// <summary>An event of a job's log; <c>data</c> carries the event's details (camelCase), when it has any.</summary>
public sealed record JobEventApiDto(long Id, DateTimeOffset At, string Type, string Message, JsonElement? Data)
{
    public static JobEventApiDto From(JobEventView e)
    {
        var dto = JobEventDto.From(e);
        return new JobEventApiDto(dto.Id, dto.At, dto.Type, dto.Message, dto.Data);
    }
}

/// <summary>An API key as listed: never its secret, which is shown once, at creation.</summary>
public sealed record ApiKeyDto(Guid Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public static ApiKeyDto From(ApiKeyView k) => new(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt);
}

public sealed record CreateApiKeyDto(string Name);

/// <summary>A new key with its secret (<c>key</c>): store it now, it is not shown again.</summary>
public sealed record CreatedApiKeyDto(Guid Id, string Name, string Key);

/// <summary>The organisation's plan and the device time used in the current billing period.</summary>
public sealed record UsageDto(string Plan, string Status, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, decimal IncludedGpuHours, decimal UsedGpuHours,
    decimal IncludedCpuHours, decimal UsedCpuHours, decimal ProjectedCost, string Currency);

/// <summary>One training epoch of a model's history.</summary>
public sealed record EpochMetricsDto(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy, double? ValidationMacroF1, double Seconds);

/// <summary>Scores on the held-out split; <c>confusionMatrix[true][predicted]</c> in the order of <c>labels</c>.</summary>
public sealed record EvaluationDto(double Accuracy, double MacroF1, double? MacroF1AllLabels, int Count, IReadOnlyList<string> Labels,
    IReadOnlyList<Platform.Training.Metrics.ClassMetrics> PerClass, int[][] ConfusionMatrix, double? MacroRocAuc = null, ScoreCurvesDto? Curves = null);

/// <summary>ROC and precision-recall, one class against the rest (null for models evaluated before curves existed).</summary>
public sealed record ScoreCurvesDto(double? MacroRocAuc, double? MacroAveragePrecision, IReadOnlyList<ClassCurvesDto> PerClass)
{
    public static ScoreCurvesDto? From(Platform.Training.Metrics.ScoreCurves? c) => c is null ? null
        : new(c.MacroRocAuc, c.MacroAveragePrecision, c.PerClass.Select(k => new ClassCurvesDto(k.Label, k.Positives, k.RocAuc, k.AveragePrecision,
            new RocCurveDto(k.Roc.FalsePositiveRate, k.Roc.TruePositiveRate, k.Roc.Thresholds),
            new PrecisionRecallCurveDto(k.PrecisionRecall.Precision, k.PrecisionRecall.Recall, k.PrecisionRecall.Thresholds))).ToList());
}

public sealed record ClassCurvesDto(string Label, int Positives, double? RocAuc, double? AveragePrecision, RocCurveDto Roc, PrecisionRecallCurveDto PrecisionRecall);

public sealed record RocCurveDto(double[] FalsePositiveRate, double[] TruePositiveRate, double[] Thresholds);

public sealed record PrecisionRecallCurveDto(double[] Precision, double[] Recall, double[] Thresholds);

/// <summary>A model's evaluation (from its metrics.json, in the API's camelCase).</summary>
public sealed record MetricsDto(EvaluationDto Evaluation, string Split, IReadOnlyList<EpochMetricsDto> History, int? SelectedEpoch)
{
    public static MetricsDto From(Platform.Training.Metrics.MetricsReport r)
    {
        var e = r.Evaluation;
        return new MetricsDto(new EvaluationDto(e.Accuracy, e.MacroF1, e.MacroF1AllLabels, e.Count, e.Labels, e.PerClass, e.ConfusionMatrix,
            e.MacroRocAuc, ScoreCurvesDto.From(e.Curves)), r.Split,
            r.History.Select(h => new EpochMetricsDto(h.Epoch, h.TrainLoss, h.ValidationLoss, h.ValidationAccuracy, h.ValidationMacroF1, h.Seconds)).ToList(),
            r.SelectedEpoch);
    }
}
