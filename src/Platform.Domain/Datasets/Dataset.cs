using Platform.Domain.Common;

namespace Platform.Domain.Datasets;

/// <summary>
/// An immutable, versioned set of labelled examples. Uploading again under the same name creates the
/// next version; nothing about a version changes after it is written, so a job that trained on it
/// can always be reproduced.
/// </summary>
public sealed class Dataset
{
    public const int NameMaxLength = 100;
    public const int ColumnMaxLength = 200;
    public const int HashLength = 64;
    public const int ArtifactPathMaxLength = 300;

    private Dataset()
    {
        Name = "";
        ContentHash = "";
        ArtifactPath = "";
        SplitPath = "";
        LabelCounts = new Dictionary<string, int>();
        Warnings = [];
        Stats = DatasetStats.Empty;
        Samples = [];
    }

    public Guid Id { get; private set; }

    public Guid TenantId { get; private set; }

    public string Name { get; private set; }

    public int Version { get; private set; }

    public DatasetKind Kind { get; private set; }

    public DatasetStatus Status { get; private set; }

    /// <summary>SHA-256 of the uploaded file, as uploaded.</summary>
    public string ContentHash { get; private set; }

    /// <summary>Artifact key of the data: the CSV for text, the image manifest for images.</summary>
    public string ArtifactPath { get; private set; }

    /// <summary>Artifact key of the train/validation split (docs/decisions/0003-dataset-split.md).</summary>
    public string SplitPath { get; private set; }

    public long SizeBytes { get; private set; }

    /// <summary>Accepted records: rows the training side reads (empty/duplicate/over-long rows excluded).</summary>
    public int RowCount { get; private set; }

    public int TrainCount { get; private set; }

    public int ValidationCount { get; private set; }

    public IReadOnlyDictionary<string, int> LabelCounts { get; private set; }

    public string? TextColumn { get; private set; }

    public string? LabelColumn { get; private set; }

    public IReadOnlyList<string> Warnings { get; private set; }

    public DatasetStats Stats { get; private set; }

    public IReadOnlyList<DatasetSample> Samples { get; private set; }

    public int SplitSeed { get; private set; }

    public Guid CreatedByUserId { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static Dataset Create(DatasetDraft draft, Guid tenantId, int version, Guid createdByUserId, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        return new Dataset
        {
            Id = Guid.CreateVersion7(now),
            TenantId = tenantId,
            Name = draft.Name,
            Version = version,
            Kind = draft.Kind,
            Status = DatasetStatus.Ready,
            ContentHash = draft.ContentHash,
            ArtifactPath = draft.ArtifactPath,
            SplitPath = draft.SplitPath,
            SizeBytes = draft.SizeBytes,
            RowCount = draft.Profile.RowCount,
            TrainCount = draft.Split.Train.Count,
            ValidationCount = draft.Split.Validation.Count,
            LabelCounts = draft.Profile.LabelCounts,
            TextColumn = draft.TextColumn,
            LabelColumn = draft.LabelColumn,
            Warnings = draft.Profile.Warnings,
            Stats = draft.Profile.Stats,
            Samples = draft.Samples,
            SplitSeed = draft.Split.Seed,
            CreatedByUserId = createdByUserId,
            CreatedAt = now,
        };
    }

    public static string? ValidateName(string name) => DisplayName.Check(name, "The dataset name", NameMaxLength);
}
