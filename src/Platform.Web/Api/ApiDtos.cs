using System.Text.Json;
using Platform.Data.Datasets;
using Platform.Jobs.Catalog;
using Platform.Jobs.Catalog.Imports;
using Platform.Jobs.Portal;

namespace Platform.Web.Api;

public sealed record DatasetDto(Guid Id, string Name, int Version, string Kind, int Rows, int Classes, long SizeBytes, int Warnings, DateTimeOffset CreatedAt)
{
    public static DatasetDto From(DatasetSummary d) =>
        new(d.Id, d.Name, d.Version, d.Kind.ToString().ToLowerInvariant(), d.RowCount, d.ClassCount, d.SizeBytes, d.WarningCount, d.CreatedAt);
}

/// <summary>A job as the API returns it; progress and result are the worker's JSON objects.</summary>
public sealed record JobDto(Guid Id, string Name, string State, int Attempt, int MaxAttempts, bool CancelRequested,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, JsonElement? Progress, JsonElement? Result, string? Error,
    int Interruptions, string? LastInterruption)
{
    public static JobDto From(JobView j) => new(j.Id, j.Name, j.State, j.Attempt, j.MaxAttempts, j.CancelRequested, j.CreatedAt,
        j.StartedAt, j.FinishedAt, Parse(j.ProgressJson), Parse(j.ResultJson), j.Error, j.Interruptions, j.LastInterruption);

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
            return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

public sealed record LaunchedJobDto(Guid Id, string Url);

/// <param name="Variant">"model" (default): the fine-tuned model; "baseline": the linear baseline a text job fits next to it.</param>
public sealed record PredictTextRequest(string Text, string? Variant = null);

/// <param name="Variant">Which model answered: "model" or "baseline".</param>
public sealed record PredictionDto(string Label, IReadOnlyDictionary<string, double> Scores, string Variant = "model");

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
